package localrun

import (
	"io"
	"testing"
)

// BenchmarkInvokeSession measures a cold start: the emulator starting, the
// function's first (initializing) invocation, and the stop — what one
// `make invoke` pays on top of the build. The Warm sub-benchmark is one more
// invocation on a running session, what each further demo event costs.
func BenchmarkInvokeSession(b *testing.B) {
	needEmulator(b)
	event := []byte(`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"{}"}}]}`)
	opts := InvokeOptions{Bootstrap: echoBin, RIE: rieBin, FunctionName: "bench", Logs: io.Discard}

	b.Run("Cold", func(b *testing.B) {
		for b.Loop() {
			s, err := Start(b.Context(), opts)
			if err != nil {
				b.Fatal(err)
			}
			res, err := s.Invoke(b.Context(), event)
			if err != nil || res.FunctionError {
				b.Fatalf("invoke: %+v, %v", res, err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Warm", func(b *testing.B) {
		s, err := Start(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Invoke(b.Context(), event); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := s.Invoke(b.Context(), event)
			if err != nil || res.FunctionError {
				b.Fatalf("invoke: %+v, %v", res, err)
			}
		}
	})
}

// BenchmarkClassify measures reading the emulator's answer.
func BenchmarkClassify(b *testing.B) {
	ok := []byte(`{"function":"notifier","trigger":"sns","alerts":[{"id":"a1","state":"ALARM","severity":"high","title":"x"}]}`)
	fail := []byte(`{"errorMessage":"boom","errorType":"errorString"}`)
	for b.Loop() {
		if _, err := classify(200, nil, ok); err != nil {
			b.Fatal(err)
		}
		if _, err := classify(200, nil, fail); err != nil {
			b.Fatal(err)
		}
	}
}
