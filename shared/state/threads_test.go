package state

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestThreadsRoundTripOnMoto(t *testing.T) {
	db, name := newTable(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := NewStore(db, name, func() time.Time { return now })
	ctx := t.Context()

	if _, ok, err := s.Thread(ctx, "ops-slack", "alert-1"); err != nil || ok {
		t.Fatalf("Thread before save = %v, %v; want none", ok, err)
	}
	first := Thread{ChannelID: "C123", TS: "1700000000.000100"}
	got, err := s.SaveThread(ctx, "ops-slack", "alert-1", first)
	if err != nil || got != first {
		t.Fatalf("SaveThread = %+v, %v", got, err)
	}
	// A second save (a racing container) keeps the first thread and says which.
	got, err = s.SaveThread(ctx, "ops-slack", "alert-1", Thread{ChannelID: "C123", TS: "1700000099.000200"})
	if err != nil || got != first {
		t.Fatalf("second SaveThread = %+v, %v; want the first thread", got, err)
	}
	th, ok, err := s.Thread(ctx, "ops-slack", "alert-1")
	if err != nil || !ok || th != first {
		t.Fatalf("Thread = %+v, %v, %v", th, ok, err)
	}
	// Keyed by channel name too: another channel has its own thread.
	if _, ok, _ := s.Thread(ctx, "sec-slack", "alert-1"); ok {
		t.Error("thread leaked to another channel")
	}

	// The stored item: key design, TTL 30 days out, the two fields.
	item, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: "THREAD#ops-slack#alert-1"},
		AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
	}})
	if err != nil || item.Item == nil {
		t.Fatalf("raw item: %v, %v", item, err)
	}
	if ttl, _ := item.Item[AttrTTL].(*types.AttributeValueMemberN); ttl == nil || ttl.Value != strconv.FormatInt(now.Add(ThreadTTL).Unix(), 10) {
		t.Errorf("ttl = %#v", item.Item[AttrTTL])
	}

	// Replace overwrites.
	repl := Thread{ChannelID: "C123", TS: "1700000500.000300"}
	if err := s.ReplaceThread(ctx, "ops-slack", "alert-1", repl); err != nil {
		t.Fatal(err)
	}
	if th, _, _ := s.Thread(ctx, "ops-slack", "alert-1"); th != repl {
		t.Errorf("after replace = %+v", th)
	}

	// Expired (TTL deletion lags): not found, and a new save wins.
	now = now.Add(ThreadTTL + time.Hour)
	if _, ok, _ := s.Thread(ctx, "ops-slack", "alert-1"); ok {
		t.Error("expired thread still found")
	}
	fresh := Thread{ChannelID: "C123", TS: "1800000000.000001"}
	if got, err := s.SaveThread(ctx, "ops-slack", "alert-1", fresh); err != nil || got != fresh {
		t.Errorf("save after expiry = %+v, %v", got, err)
	}
}

func TestSaveThreadConcurrentAgree(t *testing.T) {
	db, name := newTable(t)
	s := NewStore(db, name, nil)
	var (
		mu   sync.Mutex
		seen = map[Thread]int{}
		wg   sync.WaitGroup
	)
	for i := range 6 {
		wg.Go(func() {
			got, err := s.SaveThread(t.Context(), "ops", "g1", Thread{ChannelID: "C1", TS: strconv.Itoa(i)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			seen[got]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 1 {
		t.Errorf("racing saves disagree on the thread: %v", seen)
	}
}
