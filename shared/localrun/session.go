package localrun

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/proc"
)

// Invocation payload limits of synchronous Invoke.
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
const (
	// MaxRequestBytes is the largest event Invoke accepts (6 MB); Lambda
	// answers RequestTooLargeException above it.
	MaxRequestBytes = 6 * 1024 * 1024
	// MaxResponseBytes is the largest response a function may return; Lambda
	// reports the function as failed above it.
	MaxResponseBytes = 6*1024*1024 + 100
)

// Harness timing defaults.
const (
	// DefaultStartTimeout bounds the wait for the emulator to listen.
	DefaultStartTimeout = 15 * time.Second
	// DefaultStopTimeout is the grace between SIGTERM and SIGKILL.
	DefaultStopTimeout = 5 * time.Second
	// invokeSlack is added to the function timeout for the HTTP request, so
	// the emulator's own timeout answer arrives before ours fires.
	invokeSlack = 15 * time.Second
	// reportWait bounds the wait for an invocation's REPORT log line.
	reportWait = 2 * time.Second
	// startAttempts retries a start whose port was taken between pick and bind.
	startAttempts = 3
	// DefaultRIELogLevel keeps the emulator quiet unless something breaks.
	DefaultRIELogLevel = "error"
)

// invokePath is the emulator's invocation endpoint (the Lambda Invoke API path).
const invokePath = "/2015-03-31/functions/function/invocations"

// InvokeOptions configures an emulator session and, for Invoke, its one event.
type InvokeOptions struct {
	// Bootstrap is the function binary (from BuildHost). Required.
	Bootstrap string
	// RIE is the emulator binary (from EnsureRIE). Required.
	RIE string
	// Event is the payload posted by Invoke; Session.Invoke takes its own.
	Event []byte
	// FunctionName is AWS_LAMBDA_FUNCTION_NAME (default: the bootstrap's directory name).
	FunctionName string
	// FunctionTimeout is the Lambda timeout the emulator enforces (default 60 s).
	FunctionTimeout time.Duration
	// MemoryMB is reported as the function's memory size (default 256).
	MemoryMB int
	// HostEnv is the caller's environment ("K=V", as os.Environ returns):
	// only PATH, HOME, TMPDIR, AWS region, credentials, AWS_ENDPOINT_URL* and
	// WATCHKEEPER_* pass to the function. Nil passes nothing.
	HostEnv []string
	// Env is set on the function after HostEnv, overriding it.
	Env map[string]string
	// WorkDir is the function's working directory (default: the bootstrap's directory).
	WorkDir string
	// Logs receives the function's and the emulator's output, line by line (default: discarded).
	Logs io.Writer
	// LogLevel is the emulator's --log-level (default "error").
	LogLevel string
	// StartTimeout bounds the wait for the emulator to listen (default 15 s).
	StartTimeout time.Duration
	// InvokeTimeout bounds one invocation's HTTP exchange (default FunctionTimeout + 15 s).
	InvokeTimeout time.Duration
	// StopTimeout is the grace after SIGTERM before the emulator is killed (default 5 s).
	StopTimeout time.Duration
}

// withDefaults validates o and fills in its defaults.
func (o InvokeOptions) withDefaults() (InvokeOptions, error) {
	if o.Bootstrap == "" {
		return o, errors.New("no bootstrap binary given")
	}
	if o.RIE == "" {
		return o, errors.New("no emulator binary given")
	}
	var err error
	if o.Bootstrap, err = filepath.Abs(o.Bootstrap); err != nil {
		return o, fmt.Errorf("resolve bootstrap path: %w", err)
	}
	for name, p := range map[string]string{"bootstrap": o.Bootstrap, "emulator": o.RIE} {
		fi, err := os.Stat(p)
		if err != nil {
			return o, fmt.Errorf("%s binary: %w", name, err)
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return o, fmt.Errorf("%s binary %s is not an executable file", name, p)
		}
	}
	if o.FunctionName == "" {
		o.FunctionName = filepath.Base(filepath.Dir(o.Bootstrap))
	}
	if o.FunctionTimeout <= 0 {
		o.FunctionTimeout = DefaultFunctionTimeout
	}
	if o.MemoryMB <= 0 {
		o.MemoryMB = DefaultMemoryMB
	}
	if o.WorkDir == "" {
		o.WorkDir = filepath.Dir(o.Bootstrap)
	}
	if o.LogLevel == "" {
		o.LogLevel = DefaultRIELogLevel
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.InvokeTimeout <= 0 {
		o.InvokeTimeout = time.Duration(timeoutSeconds(o.FunctionTimeout))*time.Second + invokeSlack
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	return o, nil
}

// Result is what one invocation returned.
type Result struct {
	// Body is the response payload: the function's JSON, or the error JSON.
	Body []byte
	// FunctionError is true when the function failed (returned an error,
	// crashed, or timed out), as Lambda's X-Amz-Function-Error header says.
	FunctionError bool
	// ErrorType and ErrorMessage describe the failure when FunctionError.
	ErrorType    string
	ErrorMessage string
	// Logs is the output seen during this invocation (function logs,
	// START/END/REPORT lines and emulator messages).
	Logs []byte
	// StatusCode is the emulator's HTTP status.
	StatusCode int
	// RequestID is the invocation's request id.
	RequestID string
	// Duration is the wall time of the HTTP exchange.
	Duration time.Duration
}

// InvalidEventError is returned, without invoking anything, for an event that
// Lambda's Invoke API itself would reject (not JSON, or too large).
type InvalidEventError struct {
	// Reason says what is wrong, in Lambda's terms.
	Reason string
	// Err is the underlying parse error, if any.
	Err error
}

// Error implements error.
func (e *InvalidEventError) Error() string {
	if e.Err != nil {
		return "invalid event: " + e.Reason + ": " + e.Err.Error()
	}
	return "invalid event: " + e.Reason
}

// Unwrap returns the parse error.
func (e *InvalidEventError) Unwrap() error { return e.Err }

// Session is one running emulator serving one function; invocations through
// it are sequential, like a single warm Lambda execution environment.
type Session struct {
	opts     InvokeOptions
	args     []string
	env      []string
	cmd      *exec.Cmd
	endpoint string
	sink     *logSink
	streams  []*lineWriter
	client   *http.Client

	exited  chan struct{}
	waitErr error

	invokeMu  sync.Mutex
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Start launches the emulator for opts.Bootstrap on two free loopback ports
// and waits until it accepts connections. The session stops when Close is
// called or ctx is done, whichever comes first.
func Start(ctx context.Context, opts InvokeOptions) (*Session, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	var lastErr error
	for range startAttempts {
		s, err := startOnce(ctx, opts)
		if err == nil {
			go s.closeOnDone(ctx)
			return s, nil
		}
		lastErr = err
		var pe *portError
		if !errors.As(err, &pe) || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start emulator for %s: %w", opts.FunctionName, lastErr)
}

// portError marks a start that failed because the emulator exited before
// listening, which is retried on fresh ports.
type portError struct{ err error }

// Error implements error.
func (e *portError) Error() string { return e.err.Error() }

// Unwrap returns the start failure.
func (e *portError) Unwrap() error { return e.err }

func startOnce(ctx context.Context, opts InvokeOptions) (*Session, error) {
	ports, err := freeLoopbackPorts(2)
	if err != nil {
		return nil, err
	}
	emuAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	apiAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	args := []string{
		"--runtime-interface-emulator-address", emuAddr,
		"--runtime-api-address", apiAddr,
		"--log-level", opts.LogLevel,
		opts.Bootstrap,
	}
	s := &Session{
		opts:     opts,
		args:     append([]string{opts.RIE}, args...),
		env:      functionEnv(opts.HostEnv, opts.Env, opts.FunctionName, opts.FunctionTimeout, opts.MemoryMB, filepath.Dir(opts.Bootstrap)),
		endpoint: "http://" + emuAddr,
		sink:     newLogSink(opts.Logs),
		exited:   make(chan struct{}),
		closed:   make(chan struct{}),
		client: &http.Client{Transport: &http.Transport{
			Proxy:               nil, // loopback only, whatever HTTP_PROXY says
			MaxIdleConnsPerHost: 1,
		}},
	}
	stdout := &lineWriter{sink: s.sink}
	stderr := &lineWriter{sink: s.sink}
	s.streams = []*lineWriter{stdout, stderr}
	cmd := exec.Command(opts.RIE, args...)
	cmd.Env = s.env
	cmd.Dir = opts.WorkDir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = proc.OwnGroup()
	// The function inherits our pipes; don't wait forever for an orphan to close them.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", opts.RIE, err)
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		for _, w := range s.streams {
			w.flush()
		}
		close(s.exited)
	}()
	if err := s.waitListening(ctx, emuAddr); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// waitListening polls the emulator's port until it connects.
func (s *Session) waitListening(ctx context.Context, addr string) error {
	deadline := time.NewTimer(s.opts.StartTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var d net.Dialer
	for {
		dctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		c, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-s.exited:
			return &portError{fmt.Errorf("emulator exited before listening on %s (%v):\n%s", addr, s.waitErr, s.sink.lastLines())}
		case <-ctx.Done():
			return fmt.Errorf("wait for emulator on %s: %w", addr, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("emulator not listening on %s after %s:\n%s", addr, s.opts.StartTimeout, s.sink.lastLines())
		case <-tick.C:
		}
	}
}

// closeOnDone stops the session when ctx ends before Close.
func (s *Session) closeOnDone(ctx context.Context) {
	select {
	case <-ctx.Done():
		_ = s.Close()
	case <-s.closed:
	case <-s.exited:
	}
}

// Endpoint is the emulator's base URL (http://127.0.0.1:port).
func (s *Session) Endpoint() string { return s.endpoint }

// Args is the emulator's command line (binary first).
func (s *Session) Args() []string { return append([]string(nil), s.args...) }

// Env is the environment the emulator (and so the function) runs with.
func (s *Session) Env() []string { return append([]string(nil), s.env...) }

// PID is the emulator's process id.
func (s *Session) PID() int { return s.cmd.Process.Pid }

// Invoke posts event to the function and waits for its answer. A function
// failure is a Result with FunctionError set; an error means the harness
// could not get an answer (or, as *InvalidEventError, that Lambda would have
// refused the event).
func (s *Session) Invoke(ctx context.Context, event []byte) (*Result, error) {
	if err := checkEvent(event); err != nil {
		return nil, err
	}
	s.invokeMu.Lock()
	defer s.invokeMu.Unlock()
	select {
	case <-s.closed:
		return nil, errors.New("invoke: session closed")
	case <-s.exited:
		return nil, fmt.Errorf("invoke: emulator exited (%v):\n%s", s.waitErr, s.sink.lastLines())
	default:
	}

	reqID := newRequestID()
	ctx, cancel := context.WithTimeout(ctx, s.opts.InvokeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint+invokePath, bytes.NewReader(event))
	if err != nil {
		return nil, fmt.Errorf("invoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amzn-RequestId", reqID)

	s.sink.begin()
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		s.sink.end()
		return nil, fmt.Errorf("invoke %s: %w", s.opts.FunctionName, err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	_ = resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		s.sink.end()
		return nil, fmt.Errorf("invoke %s: read response: %w", s.opts.FunctionName, err)
	}
	// The emulator prints REPORT before answering, but the pipe may lag.
	// (A crashed runtime gets a 502 and no REPORT.)
	if resp.StatusCode == http.StatusOK {
		wctx, wcancel := context.WithTimeout(ctx, reportWait)
		s.sink.waitFor(wctx, []byte("REPORT RequestId: "+reqID))
		wcancel()
	}
	logs := s.sink.end()

	res, err := classify(resp.StatusCode, resp.Header, body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w\n%s", s.opts.FunctionName, err, logs)
	}
	res.Logs = logs
	res.RequestID = reqID
	res.Duration = elapsed
	return res, nil
}

// checkEvent refuses what Lambda's Invoke API refuses before any function runs.
func checkEvent(event []byte) error {
	if len(event) > MaxRequestBytes {
		return &InvalidEventError{Reason: fmt.Sprintf("%d bytes is over the %d-byte request limit (RequestTooLargeException)", len(event), MaxRequestBytes)}
	}
	if json.Valid(event) {
		return nil
	}
	var v any
	err := json.Unmarshal(event, &v)
	if err == nil {
		err = errors.New("trailing data")
	}
	return &InvalidEventError{Reason: "not JSON (InvalidRequestContentException)", Err: err}
}

// Close stops the emulator: SIGTERM (it then stops the function), SIGKILL
// to its process group after StopTimeout, and a last sweep of the function
// processes it had started. It is safe to call more than once.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.client.CloseIdleConnections()
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		pid := s.cmd.Process.Pid
		var children []int
		select {
		case <-s.exited:
		default:
			children = Descendants(pid)
			_ = proc.Terminate(s.cmd.Process)
			select {
			case <-s.exited:
			case <-time.After(s.opts.StopTimeout):
				_ = proc.KillGroup(pid)
				for _, c := range children {
					_ = proc.KillGroup(c)
				}
				select {
				case <-s.exited:
				case <-time.After(s.opts.StopTimeout):
					s.closeErr = fmt.Errorf("stop emulator (pid %d): still running after SIGKILL", pid)
				}
			}
		}
		// Anything of ours still alive (the emulator died before its function) goes now.
		for _, c := range children {
			if ProcessRunning(c) && processExe(c) == s.opts.Bootstrap {
				_ = proc.KillGroup(c)
			}
		}
	})
	return s.closeErr
}

// Invoke runs one event through a fresh emulator and stops it.
func Invoke(ctx context.Context, opts InvokeOptions) (*Result, error) {
	if err := checkEvent(opts.Event); err != nil {
		return nil, err
	}
	s, err := Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	res, err := s.Invoke(ctx, opts.Event)
	if cerr := s.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return res, err
}

// lambdaErrorKeys are the fields of the error document a runtime posts.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html#runtimes-api-invokeerror
var lambdaErrorKeys = map[string]bool{"errorType": true, "errorMessage": true, "stackTrace": true, "requestId": true, "cause": true}

// timeoutPrefix starts the emulator's plain-text answer to a timed-out invocation.
const timeoutPrefix = "Task timed out after "

// classify turns the emulator's answer into a Result. The emulator always
// answers 200 for a function error (only the body tells) and 502 when the
// runtime crashed; any other non-200 status is a harness failure.
func classify(status int, hdr http.Header, body []byte) (*Result, error) {
	res := &Result{Body: body, StatusCode: status}
	if len(body) > MaxResponseBytes {
		res.Body = body[:MaxResponseBytes]
		res.FunctionError = true
		res.ErrorType = "Function.ResponseSizeTooLarge"
		res.ErrorMessage = fmt.Sprintf("response is over the %d-byte limit", MaxResponseBytes)
		return res, nil
	}
	if bytes.HasPrefix(body, []byte(timeoutPrefix)) {
		res.FunctionError = true
		res.ErrorType = "Sandbox.Timedout"
		res.ErrorMessage = string(bytes.TrimSpace(body))
		return res, nil
	}
	headerErr := hdr.Get("X-Amz-Function-Error")
	errType, errMsg, isErrDoc := parseErrorDoc(body)
	switch {
	case isErrDoc:
		res.FunctionError = true
		res.ErrorType, res.ErrorMessage = errType, errMsg
	case headerErr != "":
		res.FunctionError = true
		res.ErrorType, res.ErrorMessage = headerErr, string(bytes.TrimSpace(body))
	}
	if res.FunctionError && res.ErrorType == "" {
		res.ErrorType = "Unhandled"
		if headerErr != "" {
			res.ErrorType = headerErr
		}
	}
	if status != http.StatusOK && !res.FunctionError {
		return nil, fmt.Errorf("emulator answered HTTP %d: %s", status, truncate(string(body), 512))
	}
	return res, nil
}

// parseErrorDoc recognizes the runtime's error document: a JSON object with
// string errorType and errorMessage and no keys beyond the documented ones,
// so a function that legitimately returns an "errorMessage" field among
// others is not mistaken for a failure.
func parseErrorDoc(body []byte) (errType, errMsg string, ok bool) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", "", false
	}
	for k := range doc {
		if !lambdaErrorKeys[k] {
			return "", "", false
		}
	}
	rt, okT := doc["errorType"]
	rm, okM := doc["errorMessage"]
	if !okT || !okM {
		return "", "", false
	}
	if json.Unmarshal(rt, &errType) != nil || json.Unmarshal(rm, &errMsg) != nil {
		return "", "", false
	}
	return errType, errMsg, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// newRequestID returns a random UUID-shaped id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// freeLoopbackPorts asks the kernel for n distinct free ports on 127.0.0.1.
func freeLoopbackPorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
