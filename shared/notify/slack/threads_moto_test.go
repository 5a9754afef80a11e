package slack

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// The bot's threads kept in the real state table (moto): a second Notifier
// (another container) replies in the thread the first one started.
func TestBotThreadsInStateTableOnMoto(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	db := dynamodb.NewFromConfig(m.Config(ctx))
	if err := state.CreateTable(ctx, db, "wk-state"); err != nil {
		t.Fatal(err)
	}
	f := newFakeWebAPI(t)
	first := newBot(t, f, state.NewStore(db, "wk-state", nil))
	a := testAlert()
	if _, err := first.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	second := newBot(t, f, state.NewStore(db, "wk-state", nil))
	a.State = alert.StateOK
	if _, err := second.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	root := f.call(0)
	reply := f.call(1)
	if _, has := root.json["thread_ts"]; has {
		t.Errorf("first message threaded: %v", root.json)
	}
	if reply.json["thread_ts"] != "1700000000.000001" || reply.json["reply_broadcast"] != true || reply.json["channel"] != "C123" {
		t.Errorf("resolution = %v; want a broadcast reply in the first message's thread", reply.json)
	}
}
