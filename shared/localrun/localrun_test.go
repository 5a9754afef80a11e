package localrun

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

func writeFile(path, content string, mode os.FileMode) error {
	return os.WriteFile(path, []byte(content), mode)
}

func TestRIEVersionMatchesGoMod(t *testing.T) {
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/aws/aws-lambda-runtime-interface-emulator").CombinedOutput()
	if err != nil {
		t.Skipf("emulator module not in go.mod (%v: %s); RIEVersion alone pins it", err, strings.TrimSpace(string(out)))
	}
	_ = root
	if got := strings.TrimSpace(string(out)); got != RIEVersion {
		t.Errorf("go.mod pins the emulator at %s but RIEVersion is %s", got, RIEVersion)
	}
}

func TestEnsureRIEKeepsCurrentBinary(t *testing.T) {
	needEmulator(t)
	dir := filepath.Dir(rieBin)
	before, err := os.Stat(rieBin)
	if err != nil {
		t.Fatal(err)
	}
	got, err := EnsureRIE(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(got)
	if err != nil {
		t.Fatal(err)
	}
	if got != rieBin || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("EnsureRIE rebuilt or moved a current emulator: %s (%s → %s)", got, before.ModTime(), after.ModTime())
	}
}

func TestRIECurrent(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, RIEBinary)
	tests := []struct {
		name  string
		setup func() error
		want  bool
	}{
		{name: "absent", setup: func() error { return nil }, want: false},
		{name: "not executable", setup: func() error { return writeFile(bin, "x", 0o644) }, want: false},
		{name: "executable without stamp", setup: func() error { return os.Chmod(bin, 0o755) }, want: true},
		{name: "stamp of this version", setup: func() error { return writeFile(bin+rieStampSuffix, RIEVersion+"\n", 0o644) }, want: true},
		{name: "stamp of another version", setup: func() error { return writeFile(bin+rieStampSuffix, "v0.0.0-old\n", 0o644) }, want: false},
	}
	for _, tt := range tests {
		if err := tt.setup(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := rieCurrent(bin); got != tt.want {
			t.Errorf("%s: rieCurrent = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBuildHostReportsCompileErrors(t *testing.T) {
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	_, err = BuildHost(t.Context(), root, "./functions/does-not-exist", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Fatalf("err = %v, want a build error naming the package", err)
	}
}

func TestBuildHostTargetsHost(t *testing.T) {
	needEmulator(t)
	out, err := exec.Command("go", "version", "-m", echoBin).Output()
	if err != nil {
		t.Fatal(err)
	}
	info := string(out)
	for _, want := range []string{"GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH, "CGO_ENABLED=0", "-tags=lambda.norpc", "-trimpath=true"} {
		if !strings.Contains(info, want) {
			t.Errorf("build info lacks %s:\n%s", want, info)
		}
	}
}

func TestHostBuildEnv(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		notWant []string
	}{
		{
			name:    "cross-compile settings are replaced",
			in:      []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=1", "HOME=/h"},
			want:    []string{"GOOS=" + runtime.GOOS, "GOARCH=" + runtime.GOARCH, "CGO_ENABLED=0", "HOME=/h"},
			notWant: []string{"GOARCH=arm64", "CGO_ENABLED=1"},
		},
		{
			name:    "-mod flags are dropped, others kept",
			in:      []string{"GOFLAGS=-mod=vendor -buildvcs=false"},
			want:    []string{"GOFLAGS=-buildvcs=false"},
			notWant: []string{"GOFLAGS=-mod=vendor -buildvcs=false"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hostBuildEnv(tt.in)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s in %v", w, got)
				}
			}
			for _, n := range tt.notWant {
				if slices.Contains(got, n) {
					t.Errorf("%s kept in %v", n, got)
				}
			}
		})
	}
}

func TestFunctionEnv(t *testing.T) {
	tests := []struct {
		name    string
		host    []string
		extra   map[string]string
		want    []string
		notWant []string
	}{
		{
			name: "defaults without host AWS settings",
			host: []string{"PATH=/bin", "USER=dev"},
			want: []string{"PATH=/bin", "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1",
				"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
				"AWS_LAMBDA_FUNCTION_NAME=fn", "AWS_LAMBDA_FUNCTION_TIMEOUT=60", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
				"LAMBDA_TASK_ROOT=/task"},
			notWant: []string{"USER=dev"},
		},
		{
			name: "region from AWS_DEFAULT_REGION",
			host: []string{"AWS_DEFAULT_REGION=ap-south-1"},
			want: []string{"AWS_REGION=ap-south-1", "AWS_DEFAULT_REGION=ap-south-1"},
		},
		{
			name:    "host credentials pass as a set",
			host:    []string{"AWS_ACCESS_KEY_ID=AKIA1", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=tok"},
			want:    []string{"AWS_ACCESS_KEY_ID=AKIA1", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=tok"},
			notWant: []string{"AWS_ACCESS_KEY_ID=test"},
		},
		{
			name:    "half a credential pair is replaced, with its token",
			host:    []string{"AWS_ACCESS_KEY_ID=AKIA1", "AWS_SESSION_TOKEN=tok"},
			want:    []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"},
			notWant: []string{"AWS_SESSION_TOKEN=tok", "AWS_ACCESS_KEY_ID=AKIA1"},
		},
		{
			name:    "extra overrides host, and the emulator's mode switch never passes",
			host:    []string{"WATCHKEEPER_TABLE=a", "AWS_LAMBDA_MAX_CONCURRENCY=4", "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1"},
			extra:   map[string]string{"WATCHKEEPER_TABLE": "b", "AWS_LAMBDA_MAX_CONCURRENCY": "2", "LAMBDA_TASK_ROOT": "/other"},
			want:    []string{"WATCHKEEPER_TABLE=b", "AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:1", "LAMBDA_TASK_ROOT=/other"},
			notWant: []string{"WATCHKEEPER_TABLE=a", "AWS_LAMBDA_MAX_CONCURRENCY=4", "AWS_LAMBDA_MAX_CONCURRENCY=2", "LAMBDA_TASK_ROOT=/task"},
		},
		{
			name: "malformed host entries are ignored",
			host: []string{"=x", "NOEQUALS", "PATH=/a=b"},
			want: []string{"PATH=/a=b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := functionEnv(tt.host, tt.extra, "fn", 60*time.Second, 256, "/task")
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s in %v", w, got)
				}
			}
			for _, n := range tt.notWant {
				if slices.Contains(got, n) {
					t.Errorf("%s present in %v", n, got)
				}
			}
			if !slices.IsSorted(got) {
				t.Errorf("environment not sorted: %v", got)
			}
		})
	}
}

func TestTimeoutSeconds(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {15 * time.Minute, 900}} {
		if got := timeoutSeconds(tt.in); got != tt.want {
			t.Errorf("timeoutSeconds(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		header   http.Header
		body     string
		wantErr  bool
		wantFail bool
		wantType string
		wantMsg  string
	}{
		{name: "success object", status: 200, body: `{"function":"notifier"}`},
		{name: "success scalar", status: 200, body: `42`},
		{name: "success null", status: 200, body: `null`},
		{name: "handler error", status: 200, body: `{"errorMessage":"boom","errorType":"errorString"}`, wantFail: true, wantType: "errorString", wantMsg: "boom"},
		{name: "error with stack trace", status: 200, body: `{"errorMessage":"boom","errorType":"panic","stackTrace":[{"path":"x"}]}`, wantFail: true, wantType: "panic", wantMsg: "boom"},
		{name: "result that merely has errorMessage", status: 200, body: `{"errorMessage":"none","errorType":"x","function":"notifier"}`},
		{name: "non-string errorType", status: 200, body: `{"errorMessage":"m","errorType":3}`},
		{name: "runtime crash 502", status: 502, body: `{"errorType":"Runtime.ExitError","errorMessage":"exit status 2"}`, wantFail: true, wantType: "Runtime.ExitError", wantMsg: "exit status 2"},
		{name: "timeout text", status: 200, body: "Task timed out after 3.00 seconds", wantFail: true, wantType: "Sandbox.Timedout", wantMsg: "Task timed out after 3.00 seconds"},
		{name: "header marks an error", status: 200, header: http.Header{"X-Amz-Function-Error": {"Unhandled"}}, body: `"plain"`, wantFail: true, wantType: "Unhandled", wantMsg: `"plain"`},
		{name: "header with error doc", status: 200, header: http.Header{"X-Amz-Function-Error": {"Handled"}}, body: `{"errorMessage":"m","errorType":"T"}`, wantFail: true, wantType: "T", wantMsg: "m"},
		{name: "emulator busy", status: 400, body: ``, wantErr: true},
		{name: "gateway timeout", status: 504, body: `oops`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := tt.header
			if hdr == nil {
				hdr = http.Header{}
			}
			res, err := classify(tt.status, hdr, []byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if res.FunctionError != tt.wantFail || res.ErrorType != tt.wantType || res.ErrorMessage != tt.wantMsg {
				t.Errorf("classify = fail %v type %q msg %q; want %v %q %q", res.FunctionError, res.ErrorType, res.ErrorMessage, tt.wantFail, tt.wantType, tt.wantMsg)
			}
			if string(res.Body) != tt.body {
				t.Errorf("body = %q, want %q", res.Body, tt.body)
			}
		})
	}
}

func TestClassifyResponseAtLimit(t *testing.T) {
	at := jsonStringOfSize(MaxResponseBytes)
	res, err := classify(200, http.Header{}, at)
	if err != nil || res.FunctionError {
		t.Fatalf("response at the limit: %+v, %v", res.ErrorType, err)
	}
	over := jsonStringOfSize(MaxResponseBytes + 1)
	res, err = classify(200, http.Header{}, over)
	if err != nil || !res.FunctionError || res.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Fatalf("response over the limit: %+v, %v", res.ErrorType, err)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add(200, `{"errorMessage":"boom","errorType":"errorString"}`)
	f.Add(200, `{"function":"notifier","trigger":"sns"}`)
	f.Add(502, `{"errorType":"Runtime.ExitError","errorMessage":"x"}`)
	f.Add(200, "Task timed out after 1.00 seconds")
	f.Add(400, "")
	f.Add(200, `{"errorType":null,"errorMessage":"m"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		res, err := classify(status, http.Header{}, []byte(body))
		if err != nil {
			if status == http.StatusOK {
				t.Fatalf("status 200 classified as harness error: %v", err)
			}
			return
		}
		if !res.FunctionError && (res.ErrorType != "" || res.ErrorMessage != "") {
			t.Fatalf("error details without FunctionError: %+v", res)
		}
		if res.FunctionError && res.ErrorType == "" {
			t.Fatalf("function error without a type for %q", body)
		}
		if status != http.StatusOK && !res.FunctionError {
			t.Fatalf("status %d accepted as success", status)
		}
	})
}
