package config

import (
	"strings"
	"testing"
)

func TestSlackAPIURLAndEmailSubscriptions(t *testing.T) {
	const chans = "notifications:\n  channels:\n    - {name: a, type: slack, token: xoxb-local, slack_channel: C0123456789%s}\n  receivers: [{name: r, channels: [a]}]\n  route: {receiver: r}\n"
	cases := []struct {
		name, body, want string
	}{
		{"api_url not http", strings.Replace(chans, "%s", ", api_url: \"ftp://x\"", 1), `"ftp://x" is not an http(s) URL`},
		{"api_url on a webhook channel", "notifications:\n  channels:\n    - {name: a, type: slack, webhook_url: \"ssm:/h\", api_url: \"http://127.0.0.1:1\"}\n  receivers: [{name: r, channels: [a]}]\n  route: {receiver: r}\n", "bot-token slack channels only"},
		{"api_url on teams", "notifications:\n  channels:\n    - {name: a, type: teams, webhook_url: \"ssm:/h\", api_url: \"http://127.0.0.1:1\"}\n  receivers: [{name: r, channels: [a]}]\n  route: {receiver: r}\n", "does not apply to teams channels"},
		{"subscription not an address", "notifications:\n  email_subscriptions: [nope]\n", `"nope" is not an email address`},
		{"subscription with a name", "notifications:\n  email_subscriptions: [\"Ops <ops@example.com>\"]\n", "give the bare address (ops@example.com)"},
		{"subscription twice", "notifications:\n  email_subscriptions: [a@example.com, a@example.com]\n", "listed twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte("version: 1\n"+tc.body))
			list := errorList(t, err)
			for _, e := range list {
				if strings.Contains(e.Error(), tc.want) {
					return
				}
			}
			t.Errorf("no error containing %q; got:\n%v", tc.want, err)
		})
	}

	// Accepted locally, refused by synth.
	cfg, err := Parse("local.yaml", []byte("version: 1\n"+strings.Replace(chans, "%s", ", api_url: \"http://127.0.0.1:8080/api\"", 1)+
		"  email_subscriptions: [ops@example.com, oncall@example.org]\n"))
	if err != nil {
		t.Fatalf("valid local config: %v", err)
	}
	if cfg.Notifications.Channels[0].APIURL != "http://127.0.0.1:8080/api" || len(cfg.Notifications.EmailSubscriptions) != 2 {
		t.Errorf("parsed = %+v", cfg.Notifications)
	}
	err = cfg.DeployCheck()
	found := false
	for _, e := range errorList(t, err) {
		if strings.Contains(e.Error(), "api_url") && strings.Contains(e.Error(), "local profile only") {
			found = true
		}
	}
	if !found {
		t.Errorf("DeployCheck does not refuse api_url: %v", err)
	}
}
