// Package awstest runs moto (moto_server, the AWS service mock) on a free
// loopback port so tests exercise real AWS SDK calls without an account or
// network, and `make demo` has an account to play in.
//
// One moto per test package is the normal pattern: it takes a second or two
// to start, and Reset empties it between tests far faster. Declare a Shared
// in the package's tests, stop it in TestMain, and take it in each test:
//
//	var moto awstest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		_ = moto.Close()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		m := moto.Get(t) // starts on first use; skips when moto_server is absent
//		m.Reset()
//		cfg := m.Config(t.Context())
//		...
//	}
//
// Start(t) is the one-off form: its own server, stopped by t.Cleanup.
// Tests sharing one server must not run in parallel with Reset.
package awstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/watchkeeper/watchkeeper/shared/proc"
)

// Binary is the moto server command looked up on PATH.
const Binary = "moto_server"

// Region and the dummy credentials every client of the mock uses.
const (
	Region          = "us-east-1"
	AccessKeyID     = "test"
	SecretAccessKey = "test"
	// AccountID is the account moto answers as by default.
	AccountID = "123456789012"
)

// Timing of the server's life.
const (
	// StartTimeout bounds the wait for moto to answer (Python imports are slow).
	StartTimeout = 60 * time.Second
	// StopTimeout is the grace between SIGTERM and SIGKILL.
	StopTimeout = 5 * time.Second
)

// Server is a running moto_server.
type Server struct {
	url string
	// dir holds profileFile, the shared config file Config loads.
	dir         string
	profileFile string
	cmd         *exec.Cmd
	exited      chan struct{}
	output      *tail
	client      *http.Client

	closeOnce sync.Once
	closeErr  error
}

// ErrNotInstalled is returned by StartServer when moto_server is not on PATH.
var ErrNotInstalled = errors.New(Binary + " not found on PATH (install it with: pip install 'moto[server]>=5,<6')")

// StartServer starts moto_server on a free 127.0.0.1 port, writing its log to
// logw (nil discards it), and returns once it answers HTTP. It stops when
// Close is called or ctx is done.
func StartServer(ctx context.Context, logw io.Writer) (*Server, error) {
	bin, err := exec.LookPath(Binary)
	if err != nil {
		return nil, ErrNotInstalled
	}
	if logw == nil {
		logw = io.Discard
	}
	var lastErr error
	// A port picked free can be taken before moto binds it; try fresh ones.
	for range 3 {
		s, err := startOnce(ctx, bin, logw)
		if err == nil {
			go func() {
				select {
				case <-ctx.Done():
					_ = s.Close()
				case <-s.exited:
				}
			}()
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("start %s: %w", Binary, lastErr)
}

func startOnce(ctx context.Context, bin string, logw io.Writer) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s := &Server{
		url:    "http://" + addr,
		exited: make(chan struct{}),
		output: &tail{w: logw},
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}},
	}
	if s.dir, err = os.MkdirTemp("", "awstest-"); err != nil {
		return nil, fmt.Errorf("moto config dir: %w", err)
	}
	s.profileFile = filepath.Join(s.dir, "config")
	profile := "[profile " + profileName + "]\nregion = " + Region + "\n"
	if err := os.WriteFile(s.profileFile, []byte(profile), 0o600); err != nil {
		_ = os.RemoveAll(s.dir)
		return nil, fmt.Errorf("moto config file: %w", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout = s.output
	cmd.Stderr = s.output
	cmd.Env = motoEnv(os.Environ())
	cmd.SysProcAttr = proc.OwnGroup()
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(s.dir)
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	s.cmd = cmd
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// motoEnv is the host environment without variables that would send moto's
// own (rare) outbound calls or credential lookups anywhere real.
func motoEnv(host []string) []string {
	out := make([]string, 0, len(host))
	for _, kv := range host {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "AWS_ACCESS_KEY_ID="+AccessKeyID, "AWS_SECRET_ACCESS_KEY="+SecretAccessKey, "AWS_DEFAULT_REGION="+Region)
}

// waitReady polls moto's dashboard API until it answers.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(StartTimeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/moto-api/data.json", nil)
		if err != nil {
			return err
		}
		resp, err := s.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("%s exited before answering on %s:\n%s", Binary, s.url, s.output.String())
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", Binary, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not answering on %s after %s:\n%s", Binary, s.url, StartTimeout, s.output.String())
		}
	}
}

// URL is the endpoint, e.g. http://127.0.0.1:40123.
func (s *Server) URL() string { return s.url }

// PID is moto_server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Env returns the "K=V" variables that point an SDK (or a function) at this
// server: AWS_ENDPOINT_URL, the region and dummy static credentials.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.url,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
	}
}

// profileName is the only profile in the shared config file Config loads.
const profileName = "watchkeeper-moto"

// Config returns an SDK config for this server: static dummy credentials,
// Region, and BaseEndpoint set to the server. It is hermetic: the host's
// ~/.aws files, AWS_PROFILE and AWS_ENDPOINT_URL_<SERVICE> variables cannot
// point it elsewhere (the profile comes from a file of the server's own, and
// environment-derived settings are dropped from ConfigSources, where service
// clients would otherwise find per-service endpoint overrides).
func (s *Server) Config(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		config.WithBaseEndpoint(s.url),
		config.WithSharedConfigFiles([]string{s.profileFile}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithSharedConfigProfile(profileName),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("sdk config for moto at %s: %w", s.url, err)
	}
	sources := cfg.ConfigSources[:0:0]
	for _, src := range cfg.ConfigSources {
		if _, env := src.(config.EnvConfig); !env {
			sources = append(sources, src)
		}
	}
	cfg.ConfigSources = sources
	return cfg, nil
}

// Reset empties every service of the mock.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Close stops the server (SIGTERM, then SIGKILL to its process group).
// It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.client.CloseIdleConnections()
		defer os.RemoveAll(s.dir)
		select {
		case <-s.exited:
			return
		default:
		}
		_ = proc.Terminate(s.cmd.Process)
		select {
		case <-s.exited:
		case <-time.After(StopTimeout):
			_ = proc.KillGroup(s.cmd.Process.Pid)
			select {
			case <-s.exited:
			case <-time.After(StopTimeout):
				s.closeErr = fmt.Errorf("stop %s (pid %d): still running after SIGKILL", Binary, s.cmd.Process.Pid)
			}
		}
	})
	return s.closeErr
}

// Moto is a Server bound to a test: failures fail the test.
type Moto struct {
	// Server is the running moto_server.
	Server *Server
	tb     testing.TB
}

// Start starts a moto server for one test and stops it at cleanup. Without
// moto_server on PATH the test is skipped, unless CI is set, where a missing
// mock is a broken machine and the test fails.
func Start(tb testing.TB) *Moto {
	tb.Helper()
	srv, err := StartServer(context.Background(), nil)
	if err != nil {
		failOrSkip(tb, err)
	}
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Error(err)
		}
	})
	return &Moto{Server: srv, tb: tb}
}

// failOrSkip ends the test for a server that could not start.
func failOrSkip(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") == "" {
		tb.Skipf("skipping: %v", err)
	}
	tb.Fatalf("moto: %v", err)
}

// Endpoint is the server's URL.
func (m *Moto) Endpoint() string { return m.Server.URL() }

// Env returns the variables pointing a process at the server (see Server.Env).
func (m *Moto) Env() []string { return m.Server.Env() }

// Config returns an SDK config for the server, failing the test on error.
func (m *Moto) Config(ctx context.Context) aws.Config {
	m.tb.Helper()
	cfg, err := m.Server.Config(ctx)
	if err != nil {
		m.tb.Fatal(err)
	}
	return cfg
}

// Reset empties the mock, failing the test on error.
func (m *Moto) Reset() {
	m.tb.Helper()
	if err := m.Server.Reset(context.Background()); err != nil {
		m.tb.Fatal(err)
	}
}

// Shared is one moto server for a whole test package (see the package doc).
// The zero value is ready to use.
type Shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Get returns the package's server, starting it on first use. It skips or
// fails the test like Start when moto cannot run.
func (s *Shared) Get(tb testing.TB) *Moto {
	tb.Helper()
	s.mu.Lock()
	if s.srv == nil && s.err == nil {
		s.srv, s.err = StartServer(context.Background(), nil)
	}
	srv, err := s.srv, s.err
	s.mu.Unlock()
	if err != nil {
		failOrSkip(tb, err)
	}
	return &Moto{Server: srv, tb: tb}
}

// Close stops the server if it was started; call it from TestMain after m.Run.
func (s *Shared) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// freePort asks the kernel for a free port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail forwards output to a writer and keeps its last few KB for errors.
type tail struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

const tailBytes = 4 << 10

// Write implements io.Writer.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = t.w.Write(p)
	t.buf = append(t.buf, p...)
	if n := len(t.buf); n > tailBytes {
		t.buf = append(t.buf[:0], t.buf[n-tailBytes:]...)
	}
	return len(p), nil
}

// String returns the kept output.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
