package remediate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// KillSwitch says whether remediation may run at all.
type KillSwitch interface {
	Enabled(ctx context.Context) (bool, error)
}

// KillSwitchCacheTTL is how long SSMKillSwitch trusts a value it read. A
// short cache keeps a burst of triggers from hammering SSM (GetParameter is
// throttled per account) while an operator's "off" still takes hold within
// half a minute.
// https://docs.aws.amazon.com/general/latest/gr/ssm.html#limits_ssm
const KillSwitchCacheTTL = 30 * time.Second

// parameterGetter is the part of the SSM client the kill switch calls.
type parameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var _ parameterGetter = (*ssm.Client)(nil)

// SSMKillSwitch reads the kill switch from an SSM parameter
// (remediation.kill_switch_parameter). "off", "false" and "0" (any case)
// stop every action; any other value, and a missing parameter, mean enabled.
type SSMKillSwitch struct {
	client parameterGetter
	name   string
	now    func() time.Time

	mu      sync.Mutex
	enabled bool
	until   time.Time
}

// NewSSMKillSwitch returns a kill switch over the parameter name. An empty
// name means there is no switch: always enabled. now defaults to time.Now.
func NewSSMKillSwitch(client parameterGetter, name string, now func() time.Time) *SSMKillSwitch {
	if now == nil {
		now = time.Now
	}
	return &SSMKillSwitch{client: client, name: name, now: now}
}

// Enabled reports whether remediation may run. Read errors are returned (and
// not cached) so the caller can fail closed.
func (k *SSMKillSwitch) Enabled(ctx context.Context) (bool, error) {
	if k.name == "" {
		return true, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if now.Before(k.until) {
		return k.enabled, nil
	}
	out, err := k.client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(k.name), WithDecryption: aws.Bool(true)})
	var notFound *ssmtypes.ParameterNotFound
	switch {
	case errors.As(err, &notFound):
		k.enabled = true
	case err != nil:
		return false, fmt.Errorf("read kill switch parameter %s: %w", k.name, err)
	case out.Parameter == nil:
		k.enabled = true
	default:
		k.enabled = !SwitchedOff(aws.ToString(out.Parameter.Value))
	}
	k.until = now.Add(KillSwitchCacheTTL)
	return k.enabled, nil
}

// SwitchedOff reports whether a kill switch value means "stop".
func SwitchedOff(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "false", "0":
		return true
	}
	return false
}
