package alert

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// addSeedFiles adds every sample event and reference payload as a seed.
func addSeedFiles(f *testing.F, filter func(path string) bool) {
	dirs := []string{eventsDir(f)}
	ref := repo.Reference(repoRoot(f), "payloads")
	if _, err := os.Stat(ref); err == nil {
		dirs = append(dirs, ref)
	}
	for _, dir := range dirs {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".md") || !filter(path) {
				return err
			}
			if b, err := os.ReadFile(path); err == nil {
				f.Add(b)
			}
			return nil
		})
	}
}

// FuzzParse: no input panics, and whatever parses satisfies the invariants.
func FuzzParse(f *testing.F) {
	addSeedFiles(f, func(string) bool { return true })
	for _, s := range []string{`{}`, `[]`, `{"job":"posture"}`, `{"Records":[{"Sns":{"Message":"{\"detail-type\":\"x\",\"source\":\"y\"}"}}]}`,
		`{"detail-type":"Watchkeeper Finding","source":"watchkeeper.detector","detail":{"schema_version":1,"rule":"r","severity":"low","title":"t"}}`,
		`{"alarmData":{"alarmName":"a","state":{"value":"OK"}},"source":"aws.cloudwatch"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		tr, err := Parse(payload)
		if err != nil {
			if tr != nil {
				t.Fatal("non-nil trigger with an error")
			}
			return
		}
		switch tr.Kind {
		case KindLogs:
			if tr.Logs == nil {
				t.Fatal("logs trigger without a batch")
			}
		case KindSchedule:
			if tr.Job == nil {
				t.Fatal("schedule trigger without a job")
			}
		case KindSNS, KindAlarmAction, KindEventBridge, KindWatchkeeper:
			if len(tr.Alerts) == 0 {
				t.Fatal("alert trigger without alerts")
			}
			for i := range tr.Alerts {
				a := &tr.Alerts[i]
				if a.ID == "" || a.State == "" || a.Labels == nil || SeverityRank(a.Severity) > 4 {
					t.Fatalf("alert breaks invariants: %+v", a)
				}
			}
		default:
			t.Fatalf("unknown kind %q", tr.Kind)
		}
	})
}

// FuzzDecodeLogs: arbitrary awslogs.data never panics, never returns a batch
// with an error, and never exceeds the size limit.
func FuzzDecodeLogs(f *testing.F) {
	addSeedFiles(f, func(p string) bool { return strings.Contains(p, "logs") })
	f.Add(gzipBase64(f, []byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":"m"}]}`)))
	f.Add(gzipBase64(f, []byte(`{"messageType":"CONTROL_MESSAGE"}`)))
	f.Add([]byte("H4sI"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Seeds are whole events; fuzz both the event and the bare data.
		if tr, err := Parse(data); err == nil && tr.Kind == KindLogs && tr.Logs == nil {
			t.Fatal("logs trigger without a batch")
		}
		b, err := DecodeLogs(data)
		if err != nil {
			if b != nil {
				t.Fatal("batch with an error")
			}
			return
		}
		total := 0
		for _, e := range b.Events {
			total += len(e.Message)
		}
		if total > MaxDecompressedLogsBytes {
			t.Fatalf("decoded %d bytes of messages, over the limit", total)
		}
		if b.Control && len(b.Events) != 0 {
			t.Fatal("control batch with events")
		}
	})
}

// FuzzRegionFromDisplayName: the result is always "" or a region code.
func FuzzRegionFromDisplayName(f *testing.F) {
	for _, s := range []string{"Asia Pacific (Tokyo)", "EU (Ireland)", "us-east-1", "", "x-y-1", "South America (São Paulo)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := RegionFromDisplayName(name)
		if got != "" && !looksLikeRegionCode(got) {
			t.Fatalf("RegionFromDisplayName(%q) = %q, not a region code", name, got)
		}
	})
}

// FuzzParseLogsData checks the fast batch parser against encoding/json:
// whenever the fast path accepts an input, encoding/json must accept it and
// decode the same batch.
func FuzzParseLogsData(f *testing.F) {
	for _, s := range []string{
		`{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":"{\"a\":\"b\\\\n\"}"}]}`,
		`{"messageType":"CONTROL_MESSAGE","logEvents":[]}`, ` { "logEvents" : [ { "timestamp" : -12 } ] } `,
		`{"logEvents":[{"message":"\u00e9\t\/"}]}`, `{"owner":"é"}`, `{"owner":"a","owner":"b"}`, `{"logEvents":[{"timestamp":1e3}]}`,
		`{"logEvents":[{"timestamp":01}]}`, `{"Owner":"x"}`, `{"owner":null}`, `{}` + " x",
	} {
		f.Add([]byte(s))
	}
	for _, d := range []string{"logs-cloudtrail.decoded.json", "logs-truncated-record.decoded.json", "logs-control-message.decoded.json"} {
		if b, err := os.ReadFile(filepath.Join(eventsDir(f), "detector", d)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, err := parseLogsFast(b)
		if err != nil {
			return
		}
		var want LogsBatch
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("fast path accepted what encoding/json rejects (%v): %q", err, b)
		}
		if !reflect.DeepEqual(*fast, want) {
			t.Fatalf("fast path decoded %+v, encoding/json %+v, from %q", *fast, want, b)
		}
	})
}
