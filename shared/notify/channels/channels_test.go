package channels

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/email"
	"github.com/watchkeeper/watchkeeper/shared/notify/file"
	"github.com/watchkeeper/watchkeeper/shared/notify/pagerduty"
	"github.com/watchkeeper/watchkeeper/shared/notify/slack"
	"github.com/watchkeeper/watchkeeper/shared/notify/sns"
	"github.com/watchkeeper/watchkeeper/shared/notify/teams"
	"github.com/watchkeeper/watchkeeper/shared/notify/webhook"
)

func noSecrets(context.Context, config.SecretRef) (string, error) {
	return "", errors.New("not needed")
}

func allChannels(dir string) []config.Channel {
	return []config.Channel{
		{Name: "slack", Type: "slack", WebhookURL: "ssm:/s"},
		{Name: "teams", Type: "teams", WebhookURL: "ssm:/t"},
		{Name: "hook", Type: "webhook", WebhookURL: "ssm:/w", SigningSecret: "ssm:/k"},
		{Name: "pd", Type: "pagerduty", RoutingKey: "ssm:/pd"},
		{Name: "topic", Type: "sns", TopicARN: "arn:aws:sns:eu-west-1:123456789012:alerts"},
		{Name: "mail", Type: "email", From: "a@example.com", To: []string{"b@example.com"}},
		{Name: "local", Type: "file", Dir: dir},
	}
}

func TestBuildEveryType(t *testing.T) {
	got, err := Build(allChannels(t.TempDir()), noSecrets, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"slack": fmt.Sprintf("%T", &slack.Notifier{}), "teams": fmt.Sprintf("%T", &teams.Notifier{}),
		"hook": fmt.Sprintf("%T", &webhook.Notifier{}), "pd": fmt.Sprintf("%T", &pagerduty.Notifier{}),
		"topic": fmt.Sprintf("%T", &sns.Notifier{}), "mail": fmt.Sprintf("%T", &email.Notifier{}),
		"local": fmt.Sprintf("%T", &file.Notifier{}),
	}
	if len(got) != len(want) {
		t.Fatalf("built %d notifiers, want %d", len(got), len(want))
	}
	for name, typ := range want {
		if g := fmt.Sprintf("%T", got[name]); g != typ {
			t.Errorf("%s: %s, want %s", name, g, typ)
		}
	}
	if strings.Join(Types(), ",") != "email,file,pagerduty,slack,sns,teams,webhook" {
		t.Errorf("Types() = %v", Types())
	}
}

func TestBuildReportsEveryProblem(t *testing.T) {
	chs := []config.Channel{
		{Name: "a", Type: "carrier-pigeon"},
		{Name: "b", Type: "slack"},
		{Name: "c", Type: "file", Dir: t.TempDir()},
		{Name: "c", Type: "file", Dir: t.TempDir()},
		{Type: "file"},
	}
	_, err := Build(chs, noSecrets, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`channel "a": unknown type "carrier-pigeon" (valid: email, file, pagerduty, slack, sns, teams, webhook)`,
		`slack channel "b": needs webhook_url or token`,
		`channel "c": defined twice`,
		`channel 4: missing name`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestBuildWrapsInRetrier(t *testing.T) {
	dir := t.TempDir()
	got, err := Build([]config.Channel{{Name: "local", Type: "file", Dir: dir}}, nil, nil, notify.WithRetrier(&notify.Retrier{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, plain := got["local"].(*file.Notifier); plain {
		t.Error("notifier not wrapped")
	}
	rn, ok := got["local"].(notify.ReceiptNotifier)
	if !ok {
		t.Fatal("wrapped file notifier lost its receipt")
	}
	d, _, err := rn.NotifyWithReceipt(context.Background(), alert.Alert{ID: "x", State: alert.StateAlarm, Title: "t"})
	if err != nil || !strings.HasPrefix(d.Location, dir) {
		t.Errorf("delivery %+v, %v", d, err)
	}
}

func TestLookup(t *testing.T) {
	for _, typ := range Types() {
		if c, ok := Lookup(typ); !ok || c == nil {
			t.Errorf("Lookup(%q) failed", typ)
		}
	}
	if _, ok := Lookup("fax"); ok {
		t.Error("Lookup(fax) succeeded")
	}
}
