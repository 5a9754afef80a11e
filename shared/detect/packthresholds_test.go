package detect

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
)

// burstRules are the attack pack's rules with a threshold.
func burstRules(t *testing.T) []packs.Rule {
	t.Helper()
	p, err := packs.Load(config.PackAttack)
	if err != nil {
		t.Fatal(err)
	}
	var out []packs.Rule
	for _, r := range p.Rules {
		if r.Threshold != nil {
			out = append(out, r)
		}
	}
	if len(out) < 3 {
		t.Fatalf("attack pack has %d burst rules, want at least 3", len(out))
	}
	return out
}

func TestPackThresholdsLoad(t *testing.T) {
	bursts := burstRules(t)
	th, err := NewThresholds(config.Detection{Packs: []string{config.PackCIS, config.PackAttack, config.PackAttack}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range bursts {
		want = append(want, r.ID)
	}
	if got := th.IDs(); !slices.Equal(got, want) {
		t.Errorf("threshold ids = %v, want %v (each pack once)", got, want)
	}
	for i, tt := range th.items {
		r := bursts[i]
		w, _ := time.ParseDuration(r.Threshold.Window)
		if tt.count != r.Threshold.Count || tt.window != w || tt.key != r.Threshold.Key || tt.pattern == nil ||
			tt.info.Technique != techniqueID(r.Technique) || tt.severity != r.Severity || tt.title != r.Title {
			t.Errorf("%s loaded as %+v", r.ID, tt)
		}
	}
	// Without the pack there are none.
	if th, err := NewThresholds(config.Detection{Packs: []string{config.PackCIS}}, nil, nil); err != nil || th.Len() != 0 {
		t.Errorf("cis only: %d thresholds, %v", th.Len(), err)
	}
	// A config threshold may not take a burst rule's id, nor count it
	// as a rule (the engine does not run it).
	e, err := NewPatternEngine(config.Detection{Packs: []string{config.PackAttack}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := bursts[0].ID
	for _, c := range []config.Threshold{
		{ID: id, Pattern: `{ $.eventName = "X" }`, Count: 1, Window: "1m", Key: "account"},
		{ID: "mine", Rule: id, Count: 1, Window: "1m", Key: "account"},
	} {
		_, err := NewThresholds(config.Detection{Packs: []string{config.PackAttack}, Thresholds: []config.Threshold{c}}, nil, e.HasRule)
		if err == nil || !strings.Contains(err.Error(), id) {
			t.Errorf("%+v: error %v, want one naming %s", c, err, id)
		}
	}
	// Nor a custom rule.
	if _, err := NewPatternEngine(config.Detection{Packs: []string{config.PackAttack},
		Rules: []config.DetectionRule{{ID: id, Pattern: `{ $.eventName = "X" }`}}}, nil); err == nil || !strings.Contains(err.Error(), "already used by pack attack") {
		t.Errorf("custom rule with a burst rule's id: %v", err)
	}
}

// burstRecord is the rule's first test record at time at with a fresh
// event id; other gives it another principal, access key and address.
func burstRecord(t *testing.T, r packs.Rule, at time.Time, n int, other bool) []byte {
	t.Helper()
	rec := maps.Clone(map[string]any(r.Tests.Match[0]))
	rec["eventTime"] = at.UTC().Format(time.RFC3339)
	rec["eventID"] = "b0000000-0000-4000-8000-" + strconv.Itoa(100000000000+n)
	if other {
		id, _ := rec["userIdentity"].(map[string]any)
		id = maps.Clone(id)
		id["arn"] = "arn:aws:iam::123456789012:user/mallory"
		id["principalId"] = "AIDAEXAMPLEMALLORYXX"
		id["accessKeyId"] = "AKIAEXAMPLEMALLORY01"
		rec["userIdentity"] = id
		rec["sourceIPAddress"] = "192.0.2.200"
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each burst rule, counting on moto: count-1 records from one key and
// one from another give nothing; the count-th from the first key gives one
// finding with the count. With the pack's rule engine (the detector's
// wiring) and without it (the thresholds decode records themselves).
func TestPackThresholdsFireAtCount(t *testing.T) {
	for _, r := range burstRules(t) {
		for _, withEngine := range []bool{false, true} {
			t.Run(r.ID+map[bool]string{false: "/thresholds decode", true: "/engine decodes"}[withEngine], func(t *testing.T) {
				d := config.Detection{Packs: []string{config.PackAttack}, DedupWindow: "1h"}
				var engine Engine
				if withEngine {
					e, err := NewPatternEngine(d, nil)
					if err != nil {
						t.Fatal(err)
					}
					engine = e
				}
				base, err := time.Parse(time.RFC3339, r.Tests.Match[0]["eventTime"].(string))
				if err != nil {
					t.Fatal(err)
				}
				now := base
				pub := &capture{}
				svc, _ := thresholdService(t, d, engine, pub, &now)
				n := r.Threshold.Count
				below := repeat(n-1, func(i int) []byte { return burstRecord(t, r, base.Add(time.Duration(i)*time.Second), i, false) })
				if r.Threshold.Key != config.ThresholdKeyAccount {
					below = append(below, burstRecord(t, r, base, n, true))
				}
				// Near misses never count, however many.
				for i, nm := range r.Tests.NoMatch {
					for j := range n {
						rec := maps.Clone(map[string]any(nm))
						rec["eventTime"] = base.Format(time.RFC3339)
						rec["eventID"] = "c0000000-0000-4000-8000-" + strconv.Itoa(100000000000+i*1000+j)
						b, err := json.Marshal(rec)
						if err != nil {
							t.Fatal(err)
						}
						below = append(below, b)
					}
				}
				resp, err := svc.Handle(t.Context(), logsEvent(t, "trail-group", below...))
				if err != nil {
					t.Fatal(err)
				}
				if got := findingRules(resp); slices.Contains(got, r.ID) {
					t.Fatalf("fired at %d of %d: %v", n-1, n, got)
				}
				resp, err = svc.Handle(t.Context(), logsEvent(t, "trail-group", burstRecord(t, r, base.Add(time.Minute), 2*n, false)))
				if err != nil {
					t.Fatal(err)
				}
				if got := findingRules(resp); !slices.Equal(got, []string{r.ID}) {
					t.Fatalf("at %d: findings %v, want [%s]", n, got, r.ID)
				}
				f := pub.details[len(pub.details)-1]
				if f.Count != n || f.Severity != r.Severity || f.Technique != techniqueID(r.Technique) ||
					!strings.Contains(f.Description, strings.TrimSpace(r.Description)) ||
					!strings.Contains(f.Description, strings.ReplaceAll(r.Threshold.Key, "_", " ")) {
					t.Errorf("finding = %+v", f)
				}
			})
		}
	}
}

// The example config enables the attack pack, whose console sign-in burst
// replaced the config's own copy: three failures from one address give one
// finding, not two.
func TestExampleConfigConsoleBurstFiresOnce(t *testing.T) {
	c, err := config.Load("../../watchkeeper.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Detection.Packs, config.PackAttack) {
		t.Skip("the example config does not enable the attack pack")
	}
	d := config.Detection{Packs: c.Detection.Packs, Thresholds: c.Detection.Thresholds, DedupWindow: "1h"}
	e, err := NewPatternEngine(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := base
	pub := &capture{}
	svc, _ := thresholdService(t, d, e, pub, &now)
	failed := func(i int) []byte {
		return trailRecord(t, base.Add(time.Duration(i)*time.Second), map[string]any{
			"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn",
			"sourceIPAddress": "198.51.100.77", "errorMessage": "Failed authentication",
			"responseElements": map[string]any{"ConsoleLogin": "Failure"},
		})
	}
	resp, err := svc.Handle(t.Context(), logsEvent(t, "g", failed(0), failed(1), failed(2)))
	if err != nil {
		t.Fatal(err)
	}
	var bursts []string
	for _, rule := range findingRules(resp) {
		if !strings.HasPrefix(rule, "cis.") { // cis.4.6 reports each failure
			bursts = append(bursts, rule)
		}
	}
	if !slices.Equal(bursts, []string{"attack.credential-access.console-login-failure-burst"}) {
		t.Errorf("burst findings = %v, want the pack's only", bursts)
	}
}

// Every record a burst rule counts must carry the key it counts by, or
// the rule could never fire on it.
func TestPackBurstRecordsHaveTheirKey(t *testing.T) {
	for _, r := range burstRules(t) {
		th := &threshold{key: r.Threshold.Key}
		for i, rec := range r.Tests.Match {
			raw := packRecord(t, rec)
			ct, err := cloudtrail.Parse([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			if th.keyOf(&recordView{rec: ct, raw: []byte(raw)}) == "" {
				t.Errorf("%s match[%d] has no %s", r.ID, i, r.Threshold.Key)
			}
		}
	}
}
