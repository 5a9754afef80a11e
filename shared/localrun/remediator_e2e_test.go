package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// enforceConfig is the remediator's config for the end-to-end runs: the two
// sample rules of the local profile, both enforcing, with a cooldown of 0
// and a blast radius large enough for the benchmarks' repetitions.
const enforceConfig = `version: 1
remediation:
  mode: enforce
  rules:
    - name: revoke-open-ssh
      matchers: ['event_name="AuthorizeSecurityGroupIngress"']
      action: revoke-open-ingress
      params:
        ports: [22, 3389]
    - name: scale-out-web
      matchers: ['alarm="web-cpu-high"']
      action: asg-adjust-capacity
      params:
        by: 2
  guardrails:
    cooldown: 0s
    max_actions_per_hour: 1000000
`

// remediatorRig is the real remediator binary under the emulator against a
// seeded moto account, warm after its first invocation.
type remediatorRig struct {
	sess *Session
	acct *Account
	ec2  *ec2.Client
	asg  *autoscaling.Client
}

func startRemediator(tb testing.TB) *remediatorRig {
	tb.Helper()
	needEmulator(tb)
	ctx := context.Background()
	m := moto.Get(tb)
	m.Reset()
	cfg := m.Config(ctx)
	cfg.Region = DemoRegion
	acct, err := Seed(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	bin, err := BuildHost(ctx, repoRoot, "./functions/remediator", filepath.Join(dir, "remediator"))
	if err != nil {
		tb.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "watchkeeper.yaml")
	if err := os.WriteFile(cfgPath, []byte(enforceConfig), 0o644); err != nil {
		tb.Fatal(err)
	}
	env := map[string]string{
		funcenv.Config: cfgPath, funcenv.Table: acct.Table, funcenv.Bus: acct.Bus,
		"AWS_REGION": DemoRegion, "AWS_DEFAULT_REGION": DemoRegion,
	}
	for k, v := range envMap(m.Env()) {
		if k != "AWS_REGION" && k != "AWS_DEFAULT_REGION" {
			env[k] = v
		}
	}
	logs := &bytes.Buffer{}
	sess, err := Start(ctx, InvokeOptions{
		Bootstrap: bin, RIE: rieBin, FunctionName: "remediator", FunctionTimeout: 30 * time.Second,
		HostEnv: []string{"PATH=" + os.Getenv("PATH")}, Env: env, Logs: logs,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		sess.Close()
		if tb.Failed() {
			tb.Logf("remediator logs:\n%s", logs)
		}
	})
	return &remediatorRig{sess: sess, acct: acct, ec2: ec2.NewFromConfig(cfg), asg: autoscaling.NewFromConfig(cfg)}
}

// envMap turns "K=V" pairs into a map.
func envMap(kvs []string) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		if k, v, ok := bytes.Cut([]byte(kv), []byte("=")); ok {
			out[string(k)] = string(v)
		}
	}
	return out
}

// sample reads events/remediator/<name> with the seeded ids substituted and
// the delivery id (SNS MessageId or EventBridge id) made unique by n, so each
// invocation is a new trigger to the idempotency check.
func (r *remediatorRig) sample(tb testing.TB, name string, n int) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "events", "remediator", name))
	if err != nil {
		tb.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(r.acct.Substitute(b), &doc); err != nil {
		tb.Fatal(err)
	}
	if recs, ok := doc["Records"].([]any); ok {
		recs[0].(map[string]any)["Sns"].(map[string]any)["MessageId"] = fmt.Sprintf("e2e-%d", n)
	} else {
		doc["id"] = fmt.Sprintf("e2e-%d", n)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// invoke posts event and returns the remediator's one decision.
func (r *remediatorRig) invoke(tb testing.TB, event []byte) outcome.Remediation {
	tb.Helper()
	res, err := r.sess.Invoke(context.Background(), event)
	if err != nil {
		tb.Fatal(err)
	}
	if res.FunctionError {
		tb.Fatalf("function error %s: %s", res.ErrorType, res.ErrorMessage)
	}
	var resp outcome.Response
	if err := json.Unmarshal(res.Body, &resp); err != nil {
		tb.Fatalf("response %s: %v", res.Body, err)
	}
	if len(resp.Remediations) != 1 {
		tb.Fatalf("response %s: want one remediation", res.Body)
	}
	return resp.Remediations[0]
}

func (r *remediatorRig) desired(tb testing.TB) int32 {
	tb.Helper()
	out, err := r.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{r.acct.AutoScalingGroup}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		tb.Fatalf("describe %s: %v", r.acct.AutoScalingGroup, err)
	}
	return aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity)
}

func (r *remediatorRig) setDesired(tb testing.TB, n int32) {
	tb.Helper()
	if _, err := r.asg.SetDesiredCapacity(context.Background(), &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String(r.acct.AutoScalingGroup), DesiredCapacity: aws.Int32(n)}); err != nil {
		tb.Fatal(err)
	}
}

func (r *remediatorRig) sshOpen(tb testing.TB) bool {
	tb.Helper()
	open, err := IngressOpenToWorld(context.Background(), r.ec2, r.acct.SSHSecurityGroupID, 22)
	if err != nil {
		tb.Fatal(err)
	}
	return open
}

// reopenSSH allows SSH from anywhere again, unless it is still allowed.
func (r *remediatorRig) reopenSSH(tb testing.TB) {
	tb.Helper()
	if r.sshOpen(tb) {
		return
	}
	if _, err := r.ec2.AuthorizeSecurityGroupIngress(context.Background(), &ec2.AuthorizeSecurityGroupIngressInput{
		GroupId: aws.String(r.acct.SSHSecurityGroupID),
		IpPermissions: []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String(WorldCIDR)}}}},
	}); err != nil {
		tb.Fatal(err)
	}
}

// TestRemediatorEnforcesUnderEmulator runs the real remediator binary under
// the Runtime Interface Emulator against moto, in enforce mode: the web
// group's CPU alarm really raises the group's desired capacity, and the
// CloudTrail AuthorizeSecurityGroupIngress for 0.0.0.0/0:22 really has its
// rule revoked; a redelivery of the same trigger changes nothing more.
func TestRemediatorEnforcesUnderEmulator(t *testing.T) {
	r := startRemediator(t)

	if got := r.desired(t); got != DemoASGDesired {
		t.Fatalf("seeded desired capacity %d, want %d", got, DemoASGDesired)
	}
	alarm := r.sample(t, "sns-alarm-cpu.json", 1)
	rem := r.invoke(t, alarm)
	if rem.Outcome != alert.OutcomeApplied || rem.Action != "asg-adjust-capacity" || rem.Resource != DemoASG {
		t.Fatalf("alarm: %+v, want asg-adjust-capacity applied on %s", rem, DemoASG)
	}
	if got := r.desired(t); got != DemoASGDesired+2 {
		t.Errorf("desired capacity after the alarm = %d, want %d", got, DemoASGDesired+2)
	}

	if !r.sshOpen(t) {
		t.Fatal("the seeded SSH group is not open to the world")
	}
	rem = r.invoke(t, r.sample(t, "eventbridge-authorize-sg-ingress.json", 2))
	if rem.Outcome != alert.OutcomeApplied || rem.Action != "revoke-open-ingress" || rem.Resource != r.acct.SSHSecurityGroupID {
		t.Fatalf("ingress event: %+v, want revoke-open-ingress applied on %s", rem, r.acct.SSHSecurityGroupID)
	}
	if r.sshOpen(t) {
		t.Error("0.0.0.0/0:22 is still allowed after the remediator ran")
	}

	// The same alarm delivered again is a duplicate: the capacity stays.
	res, err := r.sess.Invoke(context.Background(), alarm)
	if err != nil || res.FunctionError {
		t.Fatalf("redelivery: %v %s", err, res.Body)
	}
	var resp outcome.Response
	if err := json.Unmarshal(res.Body, &resp); err != nil || resp.Duplicates != 1 || len(resp.Remediations) != 0 {
		t.Errorf("redelivery response %s: want one duplicate and no decision", res.Body)
	}
	if got := r.desired(t); got != DemoASGDesired+2 {
		t.Errorf("desired capacity after the redelivery = %d, want %d", got, DemoASGDesired+2)
	}
}
