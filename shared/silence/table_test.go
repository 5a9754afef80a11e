package silence

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

var moto awstest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	_ = moto.Close()
	os.Exit(code)
}

var tableSeq atomic.Int64

// newTable creates a fresh state table in the package's moto.
func newTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	m := moto.Get(t)
	db := dynamodb.NewFromConfig(m.Config(t.Context()))
	name := "silences-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := state.CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	return db, name
}

func ids(ss []Silence) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func TestTablePutCurrentExpire(t *testing.T) {
	db, name := newTable(t)
	now := t0
	tab := NewTable(db, name, func() time.Time { return now })
	ctx := t.Context()

	long := mustSilence(t, "long", []string{`alarm=~"web-.*"`}, t0.Add(-time.Hour), t0.Add(48*time.Hour))
	short := mustSilence(t, "short", []string{"env=staging", "severity!=critical"}, t0, t0.Add(2*time.Hour))
	later := mustSilence(t, "later", []string{"env=dev"}, t0.Add(24*time.Hour), t0.Add(25*time.Hour))
	past := mustSilence(t, "past", []string{"env=dev"}, t0.Add(-3*time.Hour), t0.Add(-time.Hour))
	for _, s := range []Silence{long, short, later, past} {
		if err := tab.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// The id is taken: the conditional write refuses to overwrite.
	dup := later
	dup.Comment = "overwrite"
	if err := tab.Put(ctx, dup); !errors.Is(err, ErrExists) {
		t.Fatalf("second Put of an id = %v, want ErrExists", err)
	}

	cur, err := tab.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(cur); !slices.Equal(got, []string{"short", "later", "long"}) {
		t.Fatalf("Current = %v, want short, later, long (soonest end first, past left out)", got)
	}
	got := cur[0]
	if got.Author != "ana" || got.Comment != "deploy of short" || !got.StartsAt.Equal(short.StartsAt) || !got.EndsAt.Equal(short.EndsAt) ||
		!slices.Equal(got.MatcherStrings(), short.MatcherStrings()) || !got.CreatedAt.Equal(short.CreatedAt) {
		t.Errorf("read back %+v, stored %+v", got, short)
	}
	if cur[1].Comment != "deploy of later" {
		t.Errorf("the refused overwrite changed the item: %q", cur[1].Comment)
	}

	// The stored item: key design and TTL = ends_at + grace.
	it, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		state.AttrPK: &types.AttributeValueMemberS{Value: "SILENCE#short"},
		state.AttrSK: &types.AttributeValueMemberS{Value: "META"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantAttrs := map[string]string{
		state.AttrGSI1PK: "SILENCE",
		state.AttrGSI1SK: "2026-11-25T14:00:00Z#short",
	}
	for k, v := range wantAttrs {
		if s, ok := it.Item[k].(*types.AttributeValueMemberS); !ok || s.Value != v {
			t.Errorf("%s = %#v, want %q", k, it.Item[k], v)
		}
	}
	if n, ok := it.Item[state.AttrTTL].(*types.AttributeValueMemberN); !ok || n.Value != strconv.FormatInt(short.EndsAt.Add(ExpiredGrace).Unix(), 10) {
		t.Errorf("ttl = %#v", it.Item[state.AttrTTL])
	}

	// Expire sets ends_at to now; the silence leaves Current but stays in All.
	now = t0.Add(30 * time.Minute)
	exp, err := tab.Expire(ctx, "long")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.EndsAt.Equal(now) || exp.ID != "long" || exp.Comment != "deploy of long" {
		t.Errorf("expired = %+v", exp)
	}
	cur, err = tab.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(cur); !slices.Equal(got, []string{"short", "later"}) {
		t.Errorf("Current after expiry = %v", got)
	}
	all, err := tab.All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(all); !slices.Equal(got, []string{"past", "long", "short", "later"}) {
		t.Errorf("All = %v", got)
	}
	if _, err := tab.Expire(ctx, "long"); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("expiring twice = %v", err)
	}
	if _, err := tab.Expire(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("expiring an unknown id = %v, want ErrNotFound", err)
	}
}

func TestTableSkipsUnreadableItems(t *testing.T) {
	db, name := newTable(t)
	tab := NewTable(db, name, func() time.Time { return t0 })
	ctx := t.Context()
	if err := tab.Put(ctx, mustSilence(t, "good", []string{"env=prod"}, t0, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	// A hand-edited item with a matcher that no longer parses.
	bad := item(mustSilence(t, "bad", []string{"env=prod"}, t0, t0.Add(time.Hour)))
	bad["matchers"] = &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "env=~("}}}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(name), Item: bad}); err != nil {
		t.Fatal(err)
	}
	cur, err := tab.Current(ctx)
	if err == nil || !strings.Contains(err.Error(), `stored silence "bad"`) {
		t.Errorf("error = %v, want one naming the bad item", err)
	}
	if got := ids(cur); !slices.Equal(got, []string{"good"}) {
		t.Errorf("Current = %v, want the good one kept", got)
	}
}

func TestTablePutRefusesIncompleteSilences(t *testing.T) {
	tab := NewTable(nil, "unused", nil)
	if err := tab.Put(t.Context(), Silence{Matchers: mustSilence(t, "x", []string{"a=b"}, t0, t0.Add(time.Hour)).Matchers}); err == nil {
		t.Error("Put without an id succeeded")
	}
	if err := tab.Put(t.Context(), Silence{ID: "x"}); err == nil {
		t.Error("Put without matchers succeeded")
	}
}
