package remediate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)} }

// putParam writes an SSM String parameter.
func putParam(t testing.TB, c *ssm.Client, name, value string) {
	t.Helper()
	if _, err := c.PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestSSMKillSwitchMoto(t *testing.T) {
	env := startMoto(t)
	c := ssm.NewFromConfig(env.cfg)
	const name = "/watchkeeper/remediation/enabled"
	cases := []struct {
		value string // "" leaves the parameter missing
		want  bool
	}{
		{"", true}, {"on", true}, {"true", true}, {"1", true},
		{"off", false}, {"OFF", false}, {" false\n", false}, {"0", false},
	}
	for _, tc := range cases {
		t.Run("value "+strings.TrimSpace(tc.value), func(t *testing.T) {
			if tc.value == "" {
				_, _ = c.DeleteParameter(context.Background(), &ssm.DeleteParameterInput{Name: aws.String(name)})
			} else {
				putParam(t, c, name, tc.value)
			}
			got, err := NewSSMKillSwitch(c, name, nil).Enabled(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("enabled = %t, want %t", got, tc.want)
			}
		})
	}
}

func TestSSMKillSwitchCaches(t *testing.T) {
	env := startMoto(t)
	c := ssm.NewFromConfig(env.cfg)
	const name = "/wk/switch"
	putParam(t, c, name, "on")
	clk := newClock()
	ks := NewSSMKillSwitch(c, name, clk.now)
	ctx := context.Background()
	if on, err := ks.Enabled(ctx); err != nil || !on {
		t.Fatalf("enabled = %t, %v; want true", on, err)
	}
	putParam(t, c, name, "off")
	clk.advance(KillSwitchCacheTTL - time.Second)
	if on, _ := ks.Enabled(ctx); !on {
		t.Fatal("value changed before the cache expired")
	}
	clk.advance(time.Second)
	if on, _ := ks.Enabled(ctx); on {
		t.Fatal("switch still on after the cache expired")
	}
}

func TestSSMKillSwitchErrorsAreNotCached(t *testing.T) {
	var calls atomic.Int32
	fail := atomic.Bool{}
	fail.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if got := r.Header.Get("X-Amz-Target"); got != "AmazonSSM.GetParameter" {
			t.Errorf("target %q", got)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if fail.Load() {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"no"}`))
			return
		}
		_, _ = w.Write([]byte(`{"Parameter":{"Name":"/s","Value":"off","Type":"String"}}`))
	}))
	defer srv.Close()
	c := ssm.New(ssm.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), Credentials: aws.AnonymousCredentials{},
		RetryMaxAttempts: 1})
	ks := NewSSMKillSwitch(c, "/s", newClock().now)
	if _, err := ks.Enabled(context.Background()); err == nil || !strings.Contains(err.Error(), "read kill switch parameter /s") {
		t.Fatalf("err = %v, want a read error naming the parameter", err)
	}
	fail.Store(false)
	on, err := ks.Enabled(context.Background())
	if err != nil || on {
		t.Fatalf("enabled = %t, %v; want false after the error cleared", on, err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d GetParameter calls, want 2", n)
	}
}

func TestSSMKillSwitchWithoutParameterName(t *testing.T) {
	on, err := NewSSMKillSwitch(nil, "", nil).Enabled(context.Background())
	if err != nil || !on {
		t.Fatalf("enabled = %t, %v; want true", on, err)
	}
}
