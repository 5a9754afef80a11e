package route

import (
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func boolp(b bool) *bool { return &b }

func testTree() config.Route {
	return config.Route{
		Receiver: "ops",
		Routes: []config.Route{
			{Matchers: []string{`severity="critical"`}, Receiver: "oncall", Continue: true},
			{Matchers: []string{`source="cloudtrail"`}, Receiver: "security", SendResolved: boolp(false),
				Routes: []config.Route{
					{Matchers: []string{`event_name=~"Stop.*|Delete.*"`}, Receiver: "security-urgent"},
				}},
			{Matchers: []string{`namespace="AWS/EC2"`, `alarm!="noisy"`}}, // inherits receiver ops
			{Matchers: []string{`account!~"1111.*"`}, Receiver: "other-accounts"},
		},
	}
}

func TestReceivers(t *testing.T) {
	root, err := Build(testTree())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"nothing matches a child: root handles it", map[string]string{"account": "111122223333"}, []string{"ops"}},
		{"continue lets later siblings match too", map[string]string{"severity": "critical", "source": "cloudtrail", "account": "111122223333"}, []string{"oncall", "security"}},
		{"deepest match wins", map[string]string{"source": "cloudtrail", "event_name": "StopLogging", "account": "111122223333"}, []string{"security-urgent"}},
		{"first match without continue stops", map[string]string{"source": "cloudtrail", "account": "999999999999"}, []string{"security"}},
		{"negative matchers", map[string]string{"namespace": "AWS/EC2", "alarm": "noisy", "account": "999999999999"}, []string{"other-accounts"}},
		{"inherited receiver is deduplicated with root", map[string]string{"namespace": "AWS/EC2", "alarm": "cpu", "account": "111122223333"}, []string{"ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range root.Receivers(tt.labels) {
				got = append(got, m.Receiver)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("receivers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSendResolvedInheritance(t *testing.T) {
	root, err := Build(testTree())
	if err != nil {
		t.Fatal(err)
	}
	got := root.Receivers(map[string]string{"source": "cloudtrail", "event_name": "DeleteTrail", "account": "111122223333"})
	if len(got) != 1 || got[0].SendResolved {
		t.Errorf("child of a send_resolved=false route should inherit it: %+v", got)
	}
	if got[0].Path != "root/1/0" {
		t.Errorf("path = %q", got[0].Path)
	}
	got = root.Receivers(map[string]string{"account": "111122223333"})
	if !got[0].SendResolved {
		t.Error("root sends resolved by default")
	}
}

func TestBuildRejectsBadMatcher(t *testing.T) {
	_, err := Build(config.Route{Receiver: "ops", Routes: []config.Route{{Matchers: []string{`severity=~"("`}}}})
	if err == nil {
		t.Fatal("want an error for an invalid regex matcher")
	}
}

func TestString(t *testing.T) {
	root, err := Build(testTree())
	if err != nil {
		t.Fatal(err)
	}
	s := root.String()
	for _, want := range []string{"receiver=ops", "  - receiver=oncall", "continue=true", "    - receiver=security-urgent"} {
		if !strings.Contains(s, want) {
			t.Errorf("tree rendering lacks %q:\n%s", want, s)
		}
	}
}
