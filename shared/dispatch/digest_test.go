package dispatch

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

const digestConfig = `
version: 1
notifications:
  dedup_window: 1h
  channels:
    - {name: chat, type: file, format: slack}
    - {name: mail, type: file, format: email}
    - {name: pd, type: pagerduty, routing_key: "ssm:/pd"}
    - {name: audit, type: file, format: json}
  receivers:
    - {name: ops, channels: [chat, mail]}
    - {name: oncall, channels: [pd]}
    - {name: everyone, channels: [audit]}
  route:
    receiver: everyone
`

// digestEvent is the sample digest event for receivers.
func digestEvent(t *testing.T, receivers ...string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(readEvent(t, "notifier/digest.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["detail"].(map[string]any)["digest"].(map[string]any)["receivers"] = receivers
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A digest goes to exactly its named receivers (not the routing tree's),
// PagerDuty is skipped with a reason, and a redelivery sends nothing twice.
func TestDigestGoesToItsReceivers(t *testing.T) {
	cfg, err := config.Parse("digest.yaml", []byte(digestConfig))
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]*recorder{"chat": {}, "mail": {}, "pd": {}, "audit": {}}
	chans := map[string]notify.Notifier{}
	for k, v := range recs {
		chans[k] = v
	}
	m := moto.Get(t)
	db := dynamodb.NewFromConfig(m.Config(t.Context()))
	name := "dispatch-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := state.CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	store := state.NewStore(db, name, nil)
	svc, err := New(cfg, chans, store, nil, WithAlertState(store, nil))
	if err != nil {
		t.Fatal(err)
	}
	statuses := func(payload []byte) ([]string, error) {
		resp, err := svc.Handle(t.Context(), payload)
		var got []string
		for _, d := range resp.Deliveries {
			s := d.Receiver + "/" + d.Channel + "=" + d.Status
			if d.Status == StatusSkipped {
				s += " (" + d.Error + ")"
			}
			got = append(got, s)
		}
		return got, err
	}

	got, err := statuses(digestEvent(t, "ops", "oncall"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ops/chat=sent", "ops/mail=sent", "oncall/pd=skipped (" + digestSkipNote + ")"}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries = %q, want %q", got, want)
	}
	if recs["audit"].count() != 0 || recs["pd"].count() != 0 || recs["chat"].count() != 1 || recs["mail"].count() != 1 {
		t.Errorf("sent chat %d mail %d pd %d audit %d", recs["chat"].count(), recs["mail"].count(), recs["pd"].count(), recs["audit"].count())
	}

	// Redelivered (a retry, a second rule target): nothing goes out again.
	got, err = statuses(digestEvent(t, "ops", "oncall"))
	if err != nil || recs["chat"].count() != 1 || !slices.Contains(got, "ops/chat=duplicate") {
		t.Errorf("redelivery: %q %v", got, err)
	}

	// A receiver this config lacks fails (retried, then the on-failure
	// queue), after the known ones were sent.
	got, err = statuses(digestEvent(t, "gone", "everyone"))
	if err == nil || !strings.Contains(err.Error(), `receiver "gone"`) {
		t.Errorf("error = %v", err)
	}
	if !slices.Equal(got, []string{"gone/=failed", "everyone/audit=sent"}) || recs["audit"].count() != 1 {
		t.Errorf("deliveries = %q", got)
	}
}
