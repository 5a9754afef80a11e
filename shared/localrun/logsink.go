package localrun

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// logTailBytes is how much recent output is kept to explain a failed start.
const logTailBytes = 4 << 10

// logSink receives the emulator's stdout (the function's logs and the
// START/END/REPORT lines) and stderr (the emulator's own log) line by line,
// forwards every line to the caller's writer, keeps what arrives during an
// invocation for its Result, and keeps a short tail for error messages.
type logSink struct {
	mu        sync.Mutex
	w         io.Writer
	capturing bool
	captured  bytes.Buffer
	tail      []byte
	changed   chan struct{}
}

func newLogSink(w io.Writer) *logSink {
	if w == nil {
		w = io.Discard
	}
	return &logSink{w: w, changed: make(chan struct{})}
}

// writeLine takes one complete line (with its newline).
func (s *logSink) writeLine(line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.w.Write(line) // a broken log writer must not break the invocation
	if s.capturing {
		s.captured.Write(line)
	}
	s.tail = append(s.tail, line...)
	if n := len(s.tail); n > logTailBytes {
		s.tail = append(s.tail[:0], s.tail[n-logTailBytes:]...)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// begin starts capturing for one invocation.
func (s *logSink) begin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.captured.Reset()
	s.capturing = true
}

// end stops capturing and returns what was captured.
func (s *logSink) end() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capturing = false
	return bytes.Clone(s.captured.Bytes())
}

// waitFor blocks until the captured output contains marker or ctx is done.
func (s *logSink) waitFor(ctx context.Context, marker []byte) bool {
	for {
		s.mu.Lock()
		found := bytes.Contains(s.captured.Bytes(), marker)
		ch := s.changed
		s.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// lastLines returns the kept tail.
func (s *logSink) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.tail)
}

// lineWriter splits one stream into lines for the sink, so lines of the two
// streams never interleave mid-line.
type lineWriter struct {
	sink    *logSink
	mu      sync.Mutex
	partial []byte
}

// Write implements io.Writer.
func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.sink.writeLine(l.partial[:i+1])
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) == 0 {
		l.partial = nil
	}
	return len(p), nil
}

// flush passes on an unterminated last line.
func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.sink.writeLine(append(l.partial, '\n'))
		l.partial = nil
	}
}
