package alert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestAlarmParsersGolden compares every alarm sample event, parsed, with its
// golden file in testdata/golden (refresh with -update), and asserts the
// fields that normalization exists for.
func TestAlarmParsersGolden(t *testing.T) {
	f64 := func(v float64) *float64 { return &v }
	tests := []struct {
		file        string
		region      string
		account     string
		statistic   string
		unit        string
		threshold   *float64
		dimensions  []Dimension
		treat       string
		period      int
		prev        State
		alarmRule   string
		queries     int
		time        string
		resourceARN string
	}{
		{file: "notifier/sns-alarm-cpu.json", region: "eu-west-1", account: "123456789012", statistic: "Average", unit: "",
			threshold: f64(80), dimensions: []Dimension{{"AutoScalingGroupName", "web-asg"}}, treat: "missing", period: 300,
			prev: StateOK, time: "2026-11-25T10:00:12.418Z"},
		{file: "notifier/sns-alarm-ok.json", region: "eu-west-1", account: "123456789012", statistic: "Average",
			threshold: f64(80), dimensions: []Dimension{{"AutoScalingGroupName", "web-asg"}}, treat: "missing", period: 300,
			prev: StateAlarm, time: "2026-11-25T10:45:09.77Z"},
		{file: "notifier/sns-alarm-metric-math.json", region: "eu-west-1", account: "123456789012", threshold: f64(5),
			treat: "notBreaching", period: 60, prev: StateOK, queries: 3, time: "2026-11-25T10:02:31.205Z"},
		{file: "notifier/sns-alarm-log-filter.json", region: "ap-northeast-1", account: "111122223333", statistic: "Sum", unit: "",
			threshold: f64(3), treat: "notBreaching", period: 300, prev: StateOK, time: "2026-11-25T01:06:35.472Z"},
		{file: "notifier/alarm-action-metric.json", region: "eu-west-1", account: "123456789012", statistic: "Maximum", unit: "Seconds",
			threshold: f64(600), dimensions: []Dimension{{"QueueName", "orders"}}, period: 60, prev: StateOK, time: "2026-11-25T11:20:05.331Z",
			resourceARN: "arn:aws:sqs:eu-west-1:123456789012:orders"},
		{file: "notifier/alarm-action-composite.json", region: "eu-west-1", account: "123456789012", prev: StateOK,
			alarmRule: `ALARM("web-cpu-high") AND ALARM("web-alb-5xx-rate")`, time: "2026-11-25T10:03:31.54Z"},
		{file: "notifier/eventbridge-alarm-state-change.json", region: "eu-west-1", account: "123456789012", statistic: "Minimum",
			threshold: f64(5e9), dimensions: []Dimension{{"DBInstanceIdentifier", "orders-db"}}, period: 300, prev: StateOK,
			time: "2026-11-25T12:31:44.215Z", resourceARN: "arn:aws:rds:eu-west-1:123456789012:db:orders-db"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tr := mustParse(t, filepath.Join(eventsDir(t), tt.file))
			a := tr.Alerts[0]
			checkAlertInvariants(t, &a)
			m := a.Metric
			if m == nil {
				t.Fatal("no metric")
			}
			if a.Labels[LabelRegion] != tt.region || a.Labels[LabelAccount] != tt.account {
				t.Errorf("region/account %q/%q, want %q/%q", a.Labels[LabelRegion], a.Labels[LabelAccount], tt.region, tt.account)
			}
			if m.Statistic != tt.statistic || m.Unit != tt.unit || m.TreatMissingData != tt.treat || m.Period != tt.period {
				t.Errorf("statistic/unit/treat/period = %q/%q/%q/%d, want %q/%q/%q/%d",
					m.Statistic, m.Unit, m.TreatMissingData, m.Period, tt.statistic, tt.unit, tt.treat, tt.period)
			}
			if !reflect.DeepEqual(m.Threshold, tt.threshold) {
				t.Errorf("threshold %v, want %v", deref(m.Threshold), deref(tt.threshold))
			}
			if !reflect.DeepEqual(m.Dimensions, tt.dimensions) {
				t.Errorf("dimensions %v, want %v", m.Dimensions, tt.dimensions)
			}
			if m.AlarmRule != tt.alarmRule || len(m.Metrics) != tt.queries {
				t.Errorf("alarm rule %q, %d queries; want %q, %d", m.AlarmRule, len(m.Metrics), tt.alarmRule, tt.queries)
			}
			if a.PreviousState != tt.prev {
				t.Errorf("previous state %q, want %q", a.PreviousState, tt.prev)
			}
			if got := a.Time.Format(time.RFC3339Nano); got != tt.time {
				t.Errorf("time %s, want %s", got, tt.time)
			}
			if tt.resourceARN != "" && (len(a.Resources) == 0 || a.Resources[0].ARN != tt.resourceARN) {
				t.Errorf("resources %+v, want first ARN %s", a.Resources, tt.resourceARN)
			}
			if len(a.Links) == 0 || !strings.Contains(a.Links[0].URL, "region="+tt.region+"#alarmsV2:alarm/") {
				t.Errorf("links %+v lack the region-aware alarm link", a.Links)
			}
			golden(t, strings.TrimSuffix(filepath.Base(tt.file), ".json"), tr.Alerts)
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// golden compares v, marshaled without Raw, with testdata/golden/<name>.json.
func golden(t *testing.T, name string, alerts []Alert) {
	t.Helper()
	cp := make([]Alert, len(alerts))
	copy(cp, alerts)
	for i := range cp {
		cp[i].Raw = nil
	}
	got, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := readFile(t, path)
	if string(got) != string(want) {
		t.Errorf("%s differs from golden file (rerun with -update if intended):\n%s", path, got)
	}
}

// The region of an alarm comes from its ARN; the display name is the
// fallback, and must map for every commercial region.
func TestAlarmRegionFromDisplayNameWhenARNLacksIt(t *testing.T) {
	msg := `{"AlarmName":"x","NewStateValue":"ALARM","StateChangeTime":"2026-01-02T03:04:05.000+0000",
		"Region":"Asia Pacific (Tokyo)","AWSAccountId":"111122223333","Trigger":{"Statistic":"SUM","Unit":null,"Threshold":1}}`
	a, err := ParseAlarmMessage([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if a.Labels[LabelRegion] != "ap-northeast-1" || a.Metric.Statistic != "Sum" || a.Metric.Unit != "" || *a.Metric.Threshold != 1 {
		t.Errorf("got region %q statistic %q unit %q", a.Labels[LabelRegion], a.Metric.Statistic, a.Metric.Unit)
	}
	if !strings.Contains(a.Links[0].URL, "ap-northeast-1.console.aws.amazon.com") {
		t.Errorf("link %s is not region-aware", a.Links[0].URL)
	}
	// The same alarm must keep its id whatever delivered it.
	b, _ := ParseAlarmMessage([]byte(strings.Replace(msg, `"ALARM"`, `"OK"`, 1)))
	if b.ID != a.ID {
		t.Error("alarm id changed with its state")
	}
}

func TestAlarmIDIsTheSameAcrossDeliveryPaths(t *testing.T) {
	dir := eventsDir(t)
	sns := mustParse(t, filepath.Join(dir, "notifier/sns-alarm-cpu.json")).Alerts[0]
	ok := mustParse(t, filepath.Join(dir, "notifier/sns-alarm-ok.json")).Alerts[0]
	if sns.ID != ok.ID {
		t.Errorf("ALARM and OK of one alarm have ids %s and %s", sns.ID, ok.ID)
	}
	if sns.Key == ok.Key {
		t.Error("two deliveries share an idempotency key")
	}
	// An EventBridge alarm event and an alarm action for the same ARN agree.
	action := `{"source":"aws.cloudwatch","alarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-cpu-high",
		"accountId":"123456789012","time":"2026-11-25T10:00:12.418+0000","region":"eu-west-1",
		"alarmData":{"alarmName":"web-cpu-high","state":{"value":"ALARM","timestamp":"2026-11-25T10:00:12.418+0000"}}}`
	tr, err := Parse([]byte(action))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Alerts[0].ID != sns.ID {
		t.Error("alarm action and SNS alarm of the same ARN have different ids")
	}
	if want := "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-cpu-high@2026-11-25T10:00:12.418+0000"; tr.Keys[0] != want {
		t.Errorf("alarm action key %q, want %q", tr.Keys[0], want)
	}
}

func TestAlarmErrors(t *testing.T) {
	tests := map[string]struct{ payload, want string }{
		"bad state": {`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m","Message":"{\"AlarmName\":\"a\",\"NewStateValue\":\"RED\"}"}}]}`,
			`unknown alarm state "RED"`},
		"bad time": {`{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m","Message":"{\"AlarmName\":\"a\",\"NewStateValue\":\"OK\",\"StateChangeTime\":\"yesterday\"}"}}]}`,
			`StateChangeTime: unrecognized timestamp "yesterday"`},
		"action without name": {`{"source":"aws.cloudwatch","alarmData":{"state":{"value":"OK"}}}`, "missing alarmName"},
		"action wrong source": {`{"source":"aws.ec2","alarmData":{}}`, `source "aws.ec2", want aws.cloudwatch`},
		"action bad data":     {`{"source":"aws.cloudwatch","alarmData":[1]}`, "alarmData: json: cannot unmarshal array"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tt.payload))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNormalizeStatistic(t *testing.T) {
	for in, want := range map[string]string{
		"SUM": "Sum", "Sum": "Sum", "AVERAGE": "Average", "average": "Average", "SAMPLE_COUNT": "SampleCount",
		"SampleCount": "SampleCount", "MINIMUM": "Minimum", "Maximum": "Maximum", "p99": "p99", "P99.9": "p99.9",
		"TM(10%:90%)": "tm(10%:90%)", "": "", " sum ": "Sum", "IQM": "IQM",
	} {
		if got := NormalizeStatistic(in); got != want {
			t.Errorf("NormalizeStatistic(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeTreatMissingData(t *testing.T) {
	for in, want := range map[string]string{
		"- TreatMissingData:                    missing": "missing",
		"missing": "missing", "notBreaching": "notBreaching", "NOTBREACHING": "notBreaching",
		"- TreatMissingData: breaching": "breaching", "ignore": "ignore", "": "", "odd": "odd",
	} {
		if got := NormalizeTreatMissingData(in); got != want {
			t.Errorf("NormalizeTreatMissingData(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRegionFromDisplayName(t *testing.T) {
	for in, want := range map[string]string{
		"US East (N. Virginia)": "us-east-1", "US West (Oregon)": "us-west-2", "Asia Pacific (Tokyo)": "ap-northeast-1",
		"asia pacific (tokyo)": "ap-northeast-1", "  Asia  Pacific (Tokyo) ": "ap-northeast-1", "EU (Ireland)": "eu-west-1",
		"Europe (Ireland)": "eu-west-1", "Europe (Frankfurt)": "eu-central-1", "EU (Frankfurt)": "eu-central-1",
		"South America (São Paulo)": "sa-east-1", "South America (Sao Paulo)": "sa-east-1", "Canada West (Calgary)": "ca-west-1",
		"Mexico (Central)": "mx-central-1", "Asia Pacific (Taipei)": "ap-east-2", "Middle East (UAE)": "me-central-1",
		"Israel (Tel Aviv)": "il-central-1", "Africa (Cape Town)": "af-south-1", "AWS GovCloud (US-West)": "us-gov-west-1",
		"China (Ningxia)": "cn-northwest-1", "eu-west-1": "eu-west-1", "us-gov-west-1": "us-gov-west-1",
		"EXAMPLE": "", "": "", "Atlantis (Central)": "", "us-east": "", strings.Repeat("x", 100): "",
	} {
		if got := RegionFromDisplayName(in); got != want {
			t.Errorf("RegionFromDisplayName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every region the SDK lists with a display name (commercial partition)
// must be known; the list is checked in, so this test guards typos.
func TestEveryCommercialRegionHasADisplayName(t *testing.T) {
	codes := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
		"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1",
		"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
		"il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1", "sa-east-1", "sa-west-1"}
	have := map[string]bool{}
	for _, code := range regionByDisplayName {
		have[code] = true
	}
	for _, c := range codes {
		if !have[c] {
			t.Errorf("no display name maps to %s", c)
		}
	}
}

func TestSeverityFromText(t *testing.T) {
	for in, want := range map[string]string{
		"CPU high. severity: high": "high", "Severity=CRITICAL": "critical", "severity : low": "low",
		"no marker": "", "severity: bogus then severity: info": "info", "severity": "", "the severity is high": "",
	} {
		if got := SeverityFromText(in); got != want {
			t.Errorf("SeverityFromText(%q) = %q, want %q", in, got, want)
		}
	}
}
