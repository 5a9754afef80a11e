package detect

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
	"github.com/watchkeeper/watchkeeper/shared/repo"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
)

// cpuTime is the CPU time this process has used. The benchmarks report
// records per CPU second beside records per wall second because the machines
// they run on are often shared: wall time then counts other processes' turns.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports records/s and MB/s (decompressed CloudTrail) over the
// benchmark's wall time, and records per CPU second.
func reportRates(b *testing.B, records, size int, cpu time.Duration) {
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(records*b.N)/secs, "records/s")
	b.ReportMetric(float64(size*b.N)/secs/1e6, "MB/s")
	if cpu > 0 {
		b.ReportMetric(float64(records*b.N)/cpu.Seconds(), "records/cpu-s")
	}
}

// batchHeap is how many heap bytes fn allocates with the collector off: the
// most one batch can add to the function's memory.
func batchHeap(b *testing.B, fn func()) uint64 {
	b.Helper()
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// awslogsData is the base64 text of the batch's awslogs.data.
func awslogsData(b *testing.B, ev []byte) []byte {
	b.Helper()
	var e struct {
		AWSLogs struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	if err := json.Unmarshal(ev, &e); err != nil {
		b.Fatal(err)
	}
	return []byte(e.AWSLogs.Data)
}

// BenchmarkFloorGunzip is the first floor: base64 and gunzip of the batch,
// nothing else.
func BenchmarkFloorGunzip(b *testing.B) {
	ev, records, size := benchBatch(b)
	data := awslogsData(b, ev)
	var zr gzip.Reader
	var out bytes.Buffer
	compressed := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for b.Loop() {
		n, err := base64.StdEncoding.Decode(compressed, data)
		if err != nil {
			b.Fatal(err)
		}
		if err := zr.Reset(bytes.NewReader(compressed[:n])); err != nil {
			b.Fatal(err)
		}
		out.Reset()
		if _, err := io.Copy(&out, &zr); err != nil {
			b.Fatal(err)
		}
	}
	reportRates(b, records, size, cpuTime(b)-cpu)
}

// BenchmarkFloorJSONValid is the second floor: the batch decoded (base64,
// gunzip, the batch JSON) and each record checked by encoding/json.Valid.
func BenchmarkFloorJSONValid(b *testing.B) {
	ev, records, size := benchBatch(b)
	data := awslogsData(b, ev)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for b.Loop() {
		batch, err := alert.DecodeLogs(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range batch.Events {
			if !json.Valid([]byte(e.Message)) {
				b.Fatal("invalid record")
			}
		}
	}
	reportRates(b, records, size, cpuTime(b)-cpu)
}

// referenceSigma loads the 57 SigmaHQ CloudTrail rules of the reference
// material, skipping the benchmark without it.
func referenceSigma(b *testing.B) []*sigma.Rule {
	b.Helper()
	root, err := repo.Root(".")
	if err != nil {
		b.Fatal(err)
	}
	rules, err := LoadSigma(repo.Reference(root, "sigma-aws"), []string{"rules"})
	if err != nil || len(rules.Rules) == 0 {
		b.Skipf("no SigmaHQ rules in the reference material (%v)", err)
	}
	return rules.Rules
}

func benchPacksAndSigma(b *testing.B, rules []*sigma.Rule) {
	e, err := NewPatternEngine(config.Detection{Packs: []string{config.PackCIS, config.PackAttack}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.AddSigma(rules); err != nil {
		b.Fatal(err)
	}
	benchHandle(b, New(e, nil, nil, nil))
}

// BenchmarkAllPacksAndSigma is the detector with both packs and the 57
// SigmaHQ CloudTrail rules (skipped without the reference material). One of
// them, "AWS STS AssumeRole Misuse", fires on every call made with an
// assumed role, so here every record of the batch becomes a finding: this
// measures building findings as much as rejecting records.
func BenchmarkAllPacksAndSigma(b *testing.B) {
	benchPacksAndSigma(b, referenceSigma(b))
}

// BenchmarkAllPacksAndQuietSigma is BenchmarkAllPacksAndSigma without the
// SigmaHQ rules that fire on every one of the batch's first records (a user
// would suppress or drop such a rule), so findings stay rare as in a real
// stream.
func BenchmarkAllPacksAndQuietSigma(b *testing.B) {
	all := referenceSigma(b)
	ev, _, _ := benchBatch(b)
	batch, err := alert.DecodeLogs(awslogsData(b, ev))
	if err != nil {
		b.Fatal(err)
	}
	var quiet []*sigma.Rule
	for _, r := range all {
		loud := true
		for _, e := range batch.Events[:24] {
			if v, ok := filterpattern.DecodeJSON(e.Message); !ok || !r.Match(v) {
				loud = false
				break
			}
		}
		if loud {
			b.Logf("left out %q: it fires on every record", r.Title)
			continue
		}
		quiet = append(quiet, r)
	}
	benchPacksAndSigma(b, quiet)
}
