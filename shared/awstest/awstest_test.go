package awstest

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var shared Shared

func TestMain(m *testing.M) {
	code := m.Run()
	_ = shared.Close()
	os.Exit(code)
}

func listBuckets(t *testing.T, c *s3.Client) []string {
	t.Helper()
	out, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("list buckets: %v", err)
	}
	var names []string
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	return names
}

func TestS3BucketRoundTripAndReset(t *testing.T) {
	m := shared.Get(t)
	m.Reset()
	c := s3.NewFromConfig(m.Config(t.Context()))
	for _, name := range []string{"wk-test-a", "wk-test-b"} {
		if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("create bucket %s: %v", name, err)
		}
	}
	if got := listBuckets(t, c); !slices.Equal(got, []string{"wk-test-a", "wk-test-b"}) {
		t.Fatalf("buckets = %v, want [wk-test-a wk-test-b]", got)
	}
	m.Reset()
	if got := listBuckets(t, c); len(got) != 0 {
		t.Fatalf("after reset buckets = %v, want none", got)
	}
}

func TestEnvPointsAtLoopback(t *testing.T) {
	m := shared.Get(t)
	env := m.Env()
	want := map[string]string{
		"AWS_ENDPOINT_URL":      m.Endpoint(),
		"AWS_REGION":            Region,
		"AWS_DEFAULT_REGION":    Region,
		"AWS_ACCESS_KEY_ID":     AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": SecretAccessKey,
	}
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !strings.HasPrefix(m.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("endpoint %s is not on 127.0.0.1", m.Endpoint())
	}
}

// The host's profile settings must not leak into the mock's SDK config.
func TestConfigIgnoresHostProfile(t *testing.T) {
	m := shared.Get(t)
	t.Setenv("AWS_PROFILE", "does-not-exist")
	t.Setenv("AWS_REGION", "eu-west-3")
	// A per-service override would win over BaseEndpoint if it leaked in.
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
	cfg := m.Config(t.Context())
	c := s3.NewFromConfig(cfg)
	if _, err := c.ListBuckets(t.Context(), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("list buckets with host overrides set: %v", err)
	}
	if cfg.Region != Region {
		t.Errorf("region = %s, want %s", cfg.Region, Region)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != m.Endpoint() {
		t.Errorf("base endpoint = %v, want %s", cfg.BaseEndpoint, m.Endpoint())
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil || creds.AccessKeyID != AccessKeyID {
		t.Errorf("credentials = %+v, %v; want static %s", creds, err, AccessKeyID)
	}
}

// Start owns its server: it is gone once the test's cleanup ran.
func TestStartStopsAtCleanup(t *testing.T) {
	var pid int
	var url string
	t.Run("inner", func(t *testing.T) {
		m := Start(t)
		pid, url = m.Server.PID(), m.Endpoint()
		c := s3.NewFromConfig(m.Config(t.Context()))
		if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("own")}); err != nil {
			t.Fatal(err)
		}
	})
	if t.Failed() || pid == 0 {
		return
	}
	if alive(pid) {
		t.Errorf("moto_server pid %d still running after cleanup", pid)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	srv := &Server{url: url, client: shared.Get(t).Server.client}
	if err := srv.Reset(ctx); err == nil {
		t.Errorf("server at %s still answers after cleanup", url)
	}
}

func TestStartServerCancelledContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	srv, err := StartServer(ctx, nil)
	if err != nil {
		failOrSkip(t, err)
	}
	pid := srv.PID()
	cancel()
	select {
	case <-srv.exited:
	case <-time.After(2 * StopTimeout):
		t.Fatalf("moto_server pid %d still running after context cancel", pid)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("close after cancel: %v", err)
	}
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartServer(t.Context(), nil)
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
}

func TestMotoEnvDropsHostAWS(t *testing.T) {
	tests := []struct {
		name string
		host []string
		want []string
		drop []string
	}{
		{
			name: "real credentials and endpoint are replaced",
			host: []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=AKIAREAL", "AWS_PROFILE=prod", "AWS_ENDPOINT_URL=https://example.invalid"},
			want: []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1"},
			drop: []string{"AWS_ACCESS_KEY_ID=AKIAREAL", "AWS_PROFILE=prod", "AWS_ENDPOINT_URL=https://example.invalid"},
		},
		{
			name: "empty host",
			host: nil,
			want: []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := motoEnv(tt.host)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s in %v", w, got)
				}
			}
			for _, d := range tt.drop {
				if slices.Contains(got, d) {
					t.Errorf("%s leaked into %v", d, got)
				}
			}
		})
	}
}
