package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

// templateVolatile removes what changes without the config changing: the
// CDK version's analytics resource; asset hashes are masked by maskHashes.
func templateVolatile(tpl map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range tpl {
		out[k] = v
	}
	if res, ok := tpl["Resources"].(obj); ok {
		kept := obj{}
		for id, r := range res {
			if dig(r, "Type") == "AWS::CDK::Metadata" {
				continue
			}
			kept[id] = r
		}
		out["Resources"] = kept
	}
	delete(out, "Conditions") // only CDKMetadataAvailable
	return out
}

func maskHashes(v any) any {
	switch x := v.(type) {
	case obj:
		out := obj{}
		for k, val := range x {
			out[k] = maskHashes(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = maskHashes(val)
		}
		return out
	case string:
		return assetHash.ReplaceAllString(x, "<hash>")
	}
	return v
}

// TestExampleTemplateGolden keeps the whole synthesized template of the
// example config in testdata: any change to what the example deploys shows
// up as a reviewed diff (go test ./infra -update refreshes it).
func TestExampleTemplateGolden(t *testing.T) {
	s := synth(t, exampleSynth)
	raw, err := json.Marshal(templateVolatile(s.template))
	if err != nil {
		t.Fatal(err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(maskHashes(toObj(generic))); err != nil {
		t.Fatal(err)
	}
	golden(t, "example-template.golden.json", []byte(buf.String()))
}

// toObj turns decoded JSON maps into obj so the walkers see one map type.
func toObj(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := obj{}
		for k, val := range x {
			out[k] = toObj(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = toObj(x[i])
		}
		return x
	}
	return v
}

// TestSweeperKnowsTheSuiteTriggers: the posture sweep checks the stack's own
// rules (by name prefix) and the trail subscription to the detector.
func TestSweeperKnowsTheSuiteTriggers(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		ids := s.functionIDs(t)
		env, _ := dig(props(s.resource(ids[config.FunctionSweeper])), "Environment", "Variables").(obj)
		if env[funcenv.RulePrefix] != s.cfg.Deployment.StackName+"-" {
			t.Errorf("%s = %v, want %q", funcenv.RulePrefix, env[funcenv.RulePrefix], s.cfg.Deployment.StackName+"-")
		}
		if arn, _ := json.Marshal(env[funcenv.DetectorARN]); !strings.Contains(string(arn), ids[config.FunctionDetector]) {
			t.Errorf("%s = %s, want the detector's ARN", funcenv.DetectorARN, arn)
		}
		lg, _ := json.Marshal(env[funcenv.TrailLogGroup])
		if s.cfg.Trail.LogGroupName != "" {
			if !strings.Contains(string(lg), s.cfg.Trail.LogGroupName) {
				t.Errorf("%s = %s, want %s", funcenv.TrailLogGroup, lg, s.cfg.Trail.LogGroupName)
			}
		} else if !strings.Contains(string(lg), `"Ref"`) {
			t.Errorf("%s = %s, want the trail's log group", funcenv.TrailLogGroup, lg)
		}
	})
}

// TestExampleCompositeAlarm: the example's composite alarm over two of its alarms.
func TestExampleCompositeAlarm(t *testing.T) {
	s := synth(t, exampleSynth)
	comps := s.resources("AWS::CloudWatch::CompositeAlarm")
	if len(comps) != len(s.cfg.Alarms.Composite) || len(comps) == 0 {
		t.Fatalf("%d composite alarms, want %d", len(comps), len(s.cfg.Alarms.Composite))
	}
	for _, c := range comps {
		p := props(c)
		want := s.cfg.Alarms.Composite[0]
		if p["AlarmName"] != want.Name || p["AlarmRule"] != want.Rule || len(asSlice(c["DependsOn"])) < 2 {
			t.Errorf("composite alarm %v (depends on %v)", p, c["DependsOn"])
		}
	}
}

func TestDigestGrants(t *testing.T) {
	env := arnEnv{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}
	cfg := &config.Config{Notifications: config.Notifications{Channels: []config.Channel{
		{Name: "ops", Type: config.ChannelEmail, From: "Watchkeeper <wk@example.com>", To: []string{"ops@example.com"}},
		{Name: "hook", Type: config.ChannelWebhook},
	}}}
	if g, err := digestGrants(cfg, []string{"posture"}, env); err != nil || g != nil {
		t.Errorf("without the digest job: %v %v", g, err)
	}
	g, err := digestGrants(cfg, []string{"digest", "posture"}, env)
	if err != nil || len(g) != 1 {
		t.Fatalf("grants = %v, %v", g, err)
	}
	want := []string{"arn:aws:ses:eu-west-1:123456789012:identity/example.com", "arn:aws:ses:eu-west-1:123456789012:identity/wk@example.com"}
	if strings.Join(g[0].Actions, ",") != "ses:SendEmail" || strings.Join(g[0].Resources, ",") != strings.Join(want, ",") {
		t.Errorf("grant = %+v", g[0])
	}
	cfg.Notifications.Channels[0].From = "not an address"
	if _, err := digestGrants(cfg, []string{"digest"}, env); err == nil || !strings.Contains(err.Error(), "channel ops") {
		t.Errorf("bad sender: %v", err)
	}
}
