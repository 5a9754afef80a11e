package main

import (
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/evidence"
)

const runbookConfig = `alarms:
  metric:
    - {name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80, runbook: 'https://wiki.example.com/cpu'}
    - {name: own-tag, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 90, runbook: 'https://wiki.example.com/desc', tags: {'watchkeeper:runbook': 'https://wiki.example.com/tag'}}
    - {name: long, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 95, runbook: 'https://wiki.example.com/` + "%s" + `'}
    - {name: none, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 99}
  log:
    - {name: app-errors, log_group: /app/web, pattern: ERROR, runbook: 'https://wiki.example.com/errors'}
  composite:
    - {name: web-down, rule: 'ALARM(cpu) AND ALARM(app-errors)', runbook: 'https://wiki.example.com/down'}
`

// TestAlarmRunbookTags: the stack's alarms carry their runbook both in the
// description and as a runbook tag, so the notifier's two ways of finding
// it agree.
func TestAlarmRunbookTags(t *testing.T) {
	long := strings.Repeat("x", maxAlarmTagValueLen)
	res, err := alarmTemplate(t, strings.Replace(runbookConfig, "%s", long, 1))
	if err != nil {
		t.Fatal(err)
	}
	alarms := byAlarmName(res)
	for _, tc := range []struct {
		alarm string
		tags  map[string]string
	}{
		{"cpu", map[string]string{evidence.RunbookTag: "https://wiki.example.com/cpu"}},
		{"own-tag", map[string]string{evidence.RunbookTagWatchkeeper: "https://wiki.example.com/tag"}},
		{"long", map[string]string{}},
		{"none", map[string]string{}},
		{"app-errors", map[string]string{evidence.RunbookTag: "https://wiki.example.com/errors"}},
		{"web-down", map[string]string{evidence.RunbookTag: "https://wiki.example.com/down"}},
	} {
		p, ok := alarms[tc.alarm]
		if !ok {
			t.Fatalf("no alarm %s", tc.alarm)
		}
		got := map[string]string{}
		for _, tg := range asSlice(p["Tags"]) {
			got[dig(tg, "Key").(string)] = dig(tg, "Value").(string)
		}
		if len(got) != len(tc.tags) {
			t.Errorf("%s: tags %v, want %v", tc.alarm, got, tc.tags)
		}
		for k, v := range tc.tags {
			if got[k] != v {
				t.Errorf("%s: tag %s = %q, want %q", tc.alarm, k, got[k], v)
			}
		}
		desc, _ := p["AlarmDescription"].(string)
		if rb := got[evidence.RunbookTag]; rb != "" && alert.RunbookFromText(desc) != rb {
			t.Errorf("%s: description runbook %q, tag %q", tc.alarm, alert.RunbookFromText(desc), rb)
		}
	}
}

func TestNotifierRunbookTagsGrant(t *testing.T) {
	g := notifierRunbookTagsGrant(testEnv)
	if len(g.Actions) != 1 || g.Actions[0] != "cloudwatch:ListTagsForResource" ||
		len(g.Resources) != 1 || g.Resources[0] != "arn:aws:cloudwatch:eu-west-2:111122223333:alarm:*" || len(g.Wildcards) != 1 {
		t.Errorf("grant = %+v", g)
	}
}
