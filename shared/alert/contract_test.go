package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var sgARN = "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0"

func sampleDetail() Detail {
	return Detail{
		Rule:     "ec2-sg-open-ssh-world",
		Severity: SeverityHigh,
		Title:    "SSH opened to the internet on sg-0123456789abcdef0",
		Resources: []Resource{
			{ARN: sgARN, Type: "AWS::EC2::SecurityGroup", ID: "sg-0123456789abcdef0", Region: "eu-west-1", Account: "123456789012"},
			{ID: "not-an-arn"},
		},
		Record: &TrailRecord{
			Actor:     Actor{ARN: "arn:aws:sts::123456789012:assumed-role/dev-admin/bob", Type: "AssumedRole", Name: "dev-admin/bob"},
			EventName: "AuthorizeSecurityGroupIngress", EventSource: "ec2.amazonaws.com", Region: "eu-west-1", Account: "123456789012",
			SourceIP: "198.51.100.23", EventID: "5b2d8e1f-7c3a-4d9b-a1e6-3f4c5d6e7f02",
			RequestParameters: json.RawMessage(`{"groupId":"sg-0123456789abcdef0"}`),
			ResponseElements:  json.RawMessage(`{"_return":true}`),
		},
		Time: time.Date(2026, 11, 25, 9, 21, 46, 0, time.UTC),
	}
}

// withPadding gives the record a response of n padding bytes plus quotes.
func withPadding(d Detail, n int) Detail {
	rec := *d.Record
	rec.ResponseElements = json.RawMessage(`"` + strings.Repeat("a", n) + `"`)
	d.Record = &rec
	return d
}

func TestNewPutEventsEntryAtAndOverTheLimit(t *testing.T) {
	base, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, withPadding(sampleDetail(), 0))
	if err != nil {
		t.Fatal(err)
	}
	if base.Size() != len(SourceDetector)+len(DetailTypeFinding)+len(base.Detail)+len(sgARN) {
		t.Errorf("Size() %d does not count source, detail type, detail and resources", base.Size())
	}
	if len(base.Resources) != 1 || base.Resources[0] != sgARN {
		t.Errorf("resources %v, want only the ARN", base.Resources)
	}
	pad := MaxPutEventsEntryBytes - base.Size()

	at, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, withPadding(sampleDetail(), pad))
	if err != nil {
		t.Fatal(err)
	}
	if at.Size() != MaxPutEventsEntryBytes {
		t.Fatalf("entry at the limit is %d bytes, want %d", at.Size(), MaxPutEventsEntryBytes)
	}
	var got Detail
	if err := json.Unmarshal([]byte(at.Detail), &got); err != nil {
		t.Fatal(err)
	}
	if got.Truncated || len(got.Record.ResponseElements) != pad+2 || got.SchemaVersion != DetailSchemaVersion {
		t.Errorf("entry at the limit was changed: truncated=%v response=%d bytes", got.Truncated, len(got.Record.ResponseElements))
	}

	caller := withPadding(sampleDetail(), pad+1)
	over, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, caller)
	if err != nil {
		t.Fatal(err)
	}
	got = Detail{}
	if err := json.Unmarshal([]byte(over.Detail), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Truncated || got.Record.ResponseElements != nil || string(got.Record.RequestParameters) != `{"groupId":"sg-0123456789abcdef0"}` {
		t.Errorf("one byte over: truncated=%v response=%q request=%q; want only the response dropped",
			got.Truncated, got.Record.ResponseElements, got.Record.RequestParameters)
	}
	if !strings.Contains(over.Detail, `"truncated":true`) || over.Size() > MaxPutEventsEntryBytes {
		t.Errorf("over-limit entry is %d bytes", over.Size())
	}
	if len(caller.Record.ResponseElements) != pad+3 {
		t.Error("NewPutEventsEntry modified the caller's record")
	}
}

func TestNewPutEventsEntryDropsRequestParametersSecond(t *testing.T) {
	d := withPadding(sampleDetail(), MaxPutEventsEntryBytes)
	d.Record.RequestParameters = json.RawMessage(`"` + strings.Repeat("b", MaxPutEventsEntryBytes) + `"`)
	e, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, d)
	if err != nil {
		t.Fatal(err)
	}
	var got Detail
	if err := json.Unmarshal([]byte(e.Detail), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Truncated || got.Record.RequestParameters != nil || got.Record.ResponseElements != nil || got.Record.EventName == "" {
		t.Errorf("detail %+v", got.Record)
	}
}

func TestNewPutEventsEntryErrors(t *testing.T) {
	huge := sampleDetail()
	huge.Description = strings.Repeat("x", MaxPutEventsEntryBytes)
	if _, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, huge); !errors.Is(err, ErrEntryTooLarge) {
		t.Errorf("huge description: %v, want ErrEntryTooLarge", err)
	}
	if _, err := NewPutEventsEntry(BusName, "aws.ec2", DetailTypeFinding, sampleDetail()); err == nil {
		t.Error("accepted a non-watchkeeper source")
	}
	if _, err := NewPutEventsEntry(BusName, SourceDetector, "", sampleDetail()); err == nil {
		t.Error("accepted an empty detail type")
	}
}

// eventFromEntry wraps an entry the way EventBridge delivers it.
func eventFromEntry(t *testing.T, e PutEventsEntry, id string) []byte {
	t.Helper()
	ev := map[string]any{
		"version": "0", "id": id, "detail-type": e.DetailType, "source": e.Source, "account": "123456789012",
		"time": "2026-11-25T09:21:47Z", "region": "eu-west-1", "resources": e.Resources, "detail": json.RawMessage(e.Detail),
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInternalEventsRoundTrip(t *testing.T) {
	findingEntry, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, sampleDetail())
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(eventFromEntry(t, findingEntry, "ev-1"))
	if err != nil {
		t.Fatal(err)
	}
	finding := tr.Alerts[0]
	checkAlertInvariants(t, &finding)
	if tr.Kind != KindWatchkeeper || finding.State != StateFinding || finding.ID != FindingID("ec2-sg-open-ssh-world", sgARN) ||
		finding.Key != "ev-1" || finding.Record.EventName != "AuthorizeSecurityGroupIngress" || finding.Labels[LabelActor] != "dev-admin/bob" ||
		!finding.Time.Equal(sampleDetail().Time) || finding.Labels[LabelResource] != "sg-0123456789abcdef0" {
		t.Errorf("finding %+v", finding)
	}

	rem := sampleDetail()
	rem.AlertID = finding.ID
	rem.Rule = "revoke-world-ssh"
	for _, tc := range []struct {
		outcome string
		state   State
	}{{OutcomeApplied, StateRemediated}, {OutcomePlanned, StateFinding}, {OutcomeSkipped, StateFinding}, {OutcomeFailed, StateFinding}} {
		rem.Remediation = &Remediation{Action: "ec2-revoke-ingress", Mode: ModeEnforce, Outcome: tc.outcome, Guardrail: "cooldown"}
		e, err := NewPutEventsEntry(BusName, SourceRemediator, DetailTypeRemediation, rem)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := Parse(eventFromEntry(t, e, "ev-2"))
		if err != nil {
			t.Fatal(err)
		}
		a := tr.Alerts[0]
		if a.ID != finding.ID || a.State != tc.state || a.Labels[LabelOutcome] != tc.outcome || a.Labels[LabelGuardrail] != "cooldown" {
			t.Errorf("remediation %s: id %s state %s labels %v", tc.outcome, a.ID, a.State, a.Labels)
		}
	}

	rem2 := Detail{AlertID: "abc", Rule: "reminders", Severity: SeverityCritical, Title: "Still firing: web-cpu-high", State: StateAlarm}
	e, err := NewPutEventsEntry(BusName, SourceSweeper, DetailTypeReminder, rem2)
	if err != nil {
		t.Fatal(err)
	}
	tr, err = Parse(eventFromEntry(t, e, "ev-3"))
	if err != nil {
		t.Fatal(err)
	}
	if a := tr.Alerts[0]; a.ID != "abc" || a.State != StateAlarm || a.Labels[LabelJob] != "reminders" || a.Labels["reminder"] != "true" {
		t.Errorf("reminder %+v", a)
	}
}

// The sample remediation is tied to the sample finding's thread.
func TestSampleRemediationThreadsWithFinding(t *testing.T) {
	dir := eventsDir(t)
	f := mustParse(t, dir+"/notifier/watchkeeper-finding.json").Alerts[0]
	r := mustParse(t, dir+"/notifier/watchkeeper-remediation.json").Alerts[0]
	if f.ID != r.ID {
		t.Errorf("finding id %s, remediation id %s", f.ID, r.ID)
	}
}

func TestInternalEventErrors(t *testing.T) {
	ev := func(source, detailType, detail string) string {
		return `{"version":"0","id":"x","detail-type":"` + detailType + `","source":"` + source +
			`","account":"1","time":"2026-11-25T09:21:47Z","region":"eu-west-1","resources":[],"detail":` + detail + `}`
	}
	for name, tt := range map[string]struct{ payload, want string }{
		"schema":      {ev(SourceDetector, DetailTypeFinding, `{"schema_version":2,"rule":"r","severity":"high","title":"t"}`), "schema_version 2"},
		"no rule":     {ev(SourceDetector, DetailTypeFinding, `{"schema_version":1,"severity":"high","title":"t"}`), "missing rule"},
		"severity":    {ev(SourceDetector, DetailTypeFinding, `{"schema_version":1,"rule":"r","severity":"urgent","title":"t"}`), `severity "urgent"`},
		"detail type": {ev(SourceDetector, "Watchkeeper Party", `{"schema_version":1,"rule":"r","severity":"high"}`), "unknown watchkeeper detail-type"},
		"source":      {ev("watchkeeper.other", DetailTypeFinding, `{"schema_version":1}`), `unknown watchkeeper source "watchkeeper.other"`},
		"reminder":    {ev(SourceSweeper, DetailTypeReminder, `{"schema_version":1,"rule":"r","severity":"high","alert_id":"a"}`), "reminder without state"},
		"remediation": {ev(SourceRemediator, DetailTypeRemediation, `{"schema_version":1,"rule":"r","severity":"high"}`), "without remediation"},
		"bad detail":  {ev(SourceDetector, DetailTypeFinding, `[]`), "detail: json"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tt.payload))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFindingFromRecord(t *testing.T) {
	tr := mustParse(t, eventsDir(t)+"/remediator/eventbridge-authorize-sg-ingress.json")
	rec := tr.Alerts[0].Record
	d := FindingFromRecord("ec2-sg-open-ssh-world", SeverityHigh, "SSH open", "desc", rec)
	if d.AlertID != FindingID("ec2-sg-open-ssh-world", sgARN) || len(d.Resources) != 1 || d.Resources[0].ID != "sg-0123456789abcdef0" ||
		d.Record.Actor.Name != "dev-admin/bob@example.com" || !strings.Contains(compactJSON(t, d.Record.RequestParameters), `"cidrIp":"0.0.0.0/0"`) ||
		len(d.Links) != 1 || d.Time.IsZero() {
		t.Errorf("detail %+v record %+v", d, d.Record)
	}
	// Published and parsed back, it is the same thread as the sample finding.
	e, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(eventFromEntry(t, e, "ev-9"))
	if err != nil {
		t.Fatal(err)
	}
	sample := mustParse(t, eventsDir(t)+"/notifier/watchkeeper-finding.json")
	if back.Alerts[0].ID != sample.Alerts[0].ID {
		t.Error("a finding built from the record does not share the sample finding's id")
	}
	if FindingFromRecord("r", SeverityLow, "t", "", nil).Record != nil {
		t.Error("nil record produced a record summary")
	}
}

func compactJSON(t *testing.T, raw []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The finding fields added for the detector survive publishing, and the
// technique becomes the technique label readers route and render on.
func TestFindingDetailFieldsRoundTrip(t *testing.T) {
	since := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	d := Detail{Rule: "sigma:aws_cloudtrail_disable_logging", Severity: SeverityHigh, Title: "t",
		Technique: "T1562.008", SigmaID: "4db60cc0-36fb-42b7-9b58-a5b53019fb74", Author: "vitaliy0x1",
		Count: 12, Window: "5m0s", More: 3, MoreSince: since}
	e, err := NewPutEventsEntry(BusName, SourceDetector, DetailTypeFinding, d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(eventFromEntry(t, e, "ev-10"))
	if err != nil {
		t.Fatal(err)
	}
	a := back.Alerts[0]
	if a.Label(LabelTechnique) != "T1562.008" || a.Label(LabelRule) != d.Rule {
		t.Errorf("labels %v", a.Labels)
	}
	var got Detail
	if err := json.Unmarshal(a.Raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Technique != d.Technique || got.SigmaID != d.SigmaID || got.Author != d.Author || got.Count != 12 ||
		got.Window != "5m0s" || got.More != 3 || !got.MoreSince.Equal(since) {
		t.Errorf("detail back = %+v", got)
	}
	sample := mustParse(t, eventsDir(t)+"/notifier/watchkeeper-finding.json")
	if sample.Alerts[0].Label(LabelTechnique) != "T1133" {
		t.Errorf("sample finding's technique label = %q", sample.Alerts[0].Label(LabelTechnique))
	}
}
