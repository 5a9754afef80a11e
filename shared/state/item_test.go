package state

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestItemReader(t *testing.T) {
	in := &itemReader{item: map[string]types.AttributeValue{
		"s":      &types.AttributeValueMemberS{Value: "x"},
		"n":      &types.AttributeValueMemberN{Value: "42"},
		"badn":   &types.AttributeValueMemberN{Value: "4.2"},
		"t":      &types.AttributeValueMemberS{Value: "2026-11-25T09:00:00Z"},
		"badt":   &types.AttributeValueMemberS{Value: "yesterday"},
		"labels": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"a": &types.AttributeValueMemberS{Value: "1"}, "n": &types.AttributeValueMemberN{Value: "2"}}},
	}}
	if in.str("s") != "x" || in.str("missing") != "" || in.str("n") != "" {
		t.Error("str")
	}
	if in.num("n") != 42 || in.num("missing") != 0 || in.num("s") != 0 {
		t.Error("num")
	}
	if !in.time("t").Equal(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) || !in.time("missing").IsZero() {
		t.Error("time")
	}
	if m := in.strMap("labels"); len(m) != 1 || m["a"] != "1" {
		t.Errorf("strMap = %v, want only the string values", m)
	}
	if in.strMap("missing") != nil {
		t.Error("strMap of a missing attribute is not nil")
	}
	if len(in.errs) != 0 {
		t.Fatalf("errors reading good attributes: %v", in.errs)
	}
	if in.num("badn") != 0 || !in.time("badt").IsZero() {
		t.Error("malformed attributes do not read as zero")
	}
	if len(in.errs) != 2 || !strings.Contains(in.errs[0].Error(), "attribute badn") || !strings.Contains(in.errs[1].Error(), "attribute badt") {
		t.Errorf("errs = %v, want one naming each malformed attribute", in.errs)
	}
}
