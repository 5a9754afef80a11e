package state

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// itemReader reads typed attributes of one stored item. A missing attribute
// reads as the zero value; one that is there but malformed is also the zero
// value, and the reason is kept in errs for the caller to report.
type itemReader struct {
	item map[string]types.AttributeValue
	errs []error
}

// str is the string attribute k, or "".
func (r *itemReader) str(k string) string { return stringAttr(r.item, k) }

// num is the number attribute k as an int64, or 0.
func (r *itemReader) num(k string) int64 {
	v, ok := r.item[k].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("attribute %s: %w", k, err))
	}
	return n
}

// time is the RFC 3339 string attribute k, or the zero time.
func (r *itemReader) time(k string) time.Time {
	v := r.str(k)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("attribute %s: %w", k, err))
	}
	return t
}

// strMap is the map attribute k's string values, or nil.
func (r *itemReader) strMap(k string) map[string]string {
	m, ok := r.item[k].(*types.AttributeValueMemberM)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m.Value))
	for mk, v := range m.Value {
		if sv, ok := v.(*types.AttributeValueMemberS); ok {
			out[mk] = sv.Value
		}
	}
	return out
}
