package remediate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// params validates raw params against the action's schema, failing the test on error.
func params(t testing.TB, a Action, raw map[string]any) Params {
	t.Helper()
	p, err := a.Schema().Validate(raw)
	if err != nil {
		t.Fatalf("%s params %v: %v", a.Name(), raw, err)
	}
	return p
}

// enforce runs Plan, Apply, Verify; then checks idempotence: applying the
// same plan again succeeds, and a fresh plan is empty.
func enforce(t *testing.T, c Clients, a Action, tg Target, p Params) Plan {
	t.Helper()
	ctx := context.Background()
	plan, err := a.Plan(ctx, c, tg, p)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if plan.Empty() {
		t.Fatalf("plan is empty (%s), want changes", plan.Summary)
	}
	if err := a.Apply(ctx, c, plan); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := a.Verify(ctx, c, plan); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := a.Apply(ctx, c, plan); err != nil {
		t.Fatalf("second apply of the same plan: %v", err)
	}
	again, err := a.Plan(ctx, c, tg, p)
	if err != nil {
		t.Fatalf("re-plan: %v", err)
	}
	if !again.Empty() {
		t.Fatalf("re-plan after apply has changes %v, want none", again.Changes)
	}
	return plan
}

func perm(proto string, from, to int32, cidrs ...string) ec2types.IpPermission {
	p := ec2types.IpPermission{IpProtocol: aws.String(proto)}
	if proto != "-1" {
		p.FromPort, p.ToPort = aws.Int32(from), aws.Int32(to)
	}
	for _, c := range cidrs {
		if strings.Contains(c, ":") {
			p.Ipv6Ranges = append(p.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: aws.String(c)})
		} else {
			p.IpRanges = append(p.IpRanges, ec2types.IpRange{CidrIp: aws.String(c)})
		}
	}
	return p
}

// flatten renders permissions as sorted "proto from-to cidr" lines.
func flatten(perms []ec2types.IpPermission) []string {
	var out []string
	for _, p := range perms {
		ports := "all"
		if !allProtocols(aws.ToString(p.IpProtocol)) {
			ports = fmt.Sprintf("%d-%d", aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort))
		}
		for _, r := range p.IpRanges {
			out = append(out, fmt.Sprintf("%s %s %s", aws.ToString(p.IpProtocol), ports, aws.ToString(r.CidrIp)))
		}
		for _, r := range p.Ipv6Ranges {
			out = append(out, fmt.Sprintf("%s %s %s", aws.ToString(p.IpProtocol), ports, aws.ToString(r.CidrIpv6)))
		}
	}
	slices.Sort(out)
	return out
}

func TestRevokeOpenIngressMoto(t *testing.T) {
	cases := []struct {
		name   string
		params map[string]any
		seed   []ec2types.IpPermission
		want   []string // ingress left after apply
	}{
		{
			name: "ssh open to the world, https and private ssh stay",
			seed: []ec2types.IpPermission{
				perm("tcp", 22, 22, "0.0.0.0/0", "10.0.0.0/8"),
				perm("tcp", 443, 443, "0.0.0.0/0"),
			},
			want: []string{"tcp 22-22 10.0.0.0/8", "tcp 443-443 0.0.0.0/0"},
		},
		{
			name: "a range covering 22 and all-traffic rules count, on both families",
			seed: []ec2types.IpPermission{
				perm("tcp", 0, 65535, "::/0"),
				perm("-1", 0, 0, "0.0.0.0/0"),
				perm("udp", 3380, 3390, "0.0.0.0/0"),
				perm("icmp", 8, 0, "0.0.0.0/0"),
				perm("tcp", 8080, 8080, "0.0.0.0/0"),
			},
			want: []string{"icmp 8-0 0.0.0.0/0", "tcp 8080-8080 0.0.0.0/0"},
		},
		{
			name:   "custom ports",
			params: map[string]any{"ports": []any{float64(5432)}},
			seed: []ec2types.IpPermission{
				perm("tcp", 5432, 5432, "0.0.0.0/0"),
				perm("tcp", 22, 22, "0.0.0.0/0"),
			},
			want: []string{"tcp 22-22 0.0.0.0/0"},
		},
		{
			name:   "all ports revokes every world-open rule",
			params: map[string]any{"all_ports": true},
			seed: []ec2types.IpPermission{
				perm("tcp", 443, 443, "0.0.0.0/0", "192.0.2.0/24"),
				perm("icmp", 8, 0, "0.0.0.0/0"),
				perm("udp", 53, 53, "::/0"),
			},
			want: []string{"tcp 443-443 192.0.2.0/24"},
		},
	}
	a := revokeOpenIngress{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startMoto(t)
			id := env.seedGroup(t, tc.seed, nil)
			p := params(t, a, tc.params)
			plan := enforce(t, env.clients(), a, Target{ID: id, Region: testRegion}, p)
			if got := flatten(env.ingress(t, id)); !slices.Equal(got, tc.want) {
				t.Errorf("ingress after apply = %q, want %q", got, tc.want)
			}
			undo := a.Undo(plan)
			if !strings.HasPrefix(undo, "aws ec2 authorize-security-group-ingress --group-id "+id+" --ip-permissions '[") ||
				!strings.HasSuffix(undo, "--region "+testRegion) {
				t.Errorf("undo = %s", undo)
			}
		})
	}
}

func TestRevokeOpenIngressNothingToDo(t *testing.T) {
	env := startMoto(t)
	id := env.seedGroup(t, []ec2types.IpPermission{perm("tcp", 22, 22, "10.0.0.0/8"), perm("tcp", 443, 443, "0.0.0.0/0")}, map[string]string{"team": "web"})
	a := revokeOpenIngress{}
	plan, err := a.Plan(context.Background(), env.clients(), Target{ID: id}, params(t, a, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() {
		t.Fatalf("changes %v, want none", plan.Changes)
	}
	if want := id + " has no ingress open to the internet on ports 22, 3389"; plan.Summary != want {
		t.Errorf("summary %q, want %q", plan.Summary, want)
	}
	if !plan.TagsRead || plan.Tags["team"] != "web" {
		t.Errorf("tags %v (read %t), want team=web", plan.Tags, plan.TagsRead)
	}
}

func TestRevokeOpenIngressUnknownGroup(t *testing.T) {
	env := startMoto(t)
	a := revokeOpenIngress{}
	if _, err := a.Plan(context.Background(), env.clients(), Target{ID: "sg-0000000000000dead"}, params(t, a, nil)); err == nil ||
		!strings.Contains(err.Error(), "sg-0000000000000dead") {
		t.Fatalf("err = %v, want one naming the group", err)
	}
}

func TestASGAdjustCapacityMoto(t *testing.T) {
	cases := []struct {
		name                  string
		params                map[string]any
		min, desired, max     int32
		want                  int32
		summary, undoCapacity string
	}{
		{"by within max", map[string]any{"by": float64(2)}, 1, 2, 6, 4, "desired 2 → 4 (max 6)", "2"},
		{"by capped at max", map[string]any{"by": 5}, 1, 2, 4, 4, "desired 2 → 4 (max 4), capped from 7", "2"},
		{"negative by stops at min", map[string]any{"by": -3}, 1, 2, 4, 1, "desired 2 → 1 (min 1), capped from -1", "2"},
		{"to", map[string]any{"to": 3}, 0, 1, 5, 3, "desired 1 → 3 (max 5)", "1"},
	}
	a := asgAdjustCapacity{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startMoto(t)
			env.seedASG(t, "web-asg", tc.min, tc.desired, tc.max, nil)
			p := params(t, a, tc.params)
			ctx := context.Background()
			plan, err := a.Plan(ctx, env.clients(), Target{ID: "web-asg", Region: testRegion}, p)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Summary != tc.summary {
				t.Errorf("summary %q, want %q", plan.Summary, tc.summary)
			}
			if err := a.Apply(ctx, env.clients(), plan); err != nil {
				t.Fatal(err)
			}
			if err := a.Verify(ctx, env.clients(), plan); err != nil {
				t.Fatal(err)
			}
			if got := env.desired(t, "web-asg"); got != tc.want {
				t.Fatalf("desired = %d, want %d", got, tc.want)
			}
			// The same plan again changes nothing, even for a relative step.
			if err := a.Apply(ctx, env.clients(), plan); err != nil {
				t.Fatal(err)
			}
			if got := env.desired(t, "web-asg"); got != tc.want {
				t.Fatalf("desired after second apply = %d, want %d", got, tc.want)
			}
			want := "aws autoscaling set-desired-capacity --auto-scaling-group-name web-asg --desired-capacity " + tc.undoCapacity + " --region " + testRegion
			if got := a.Undo(plan); got != want {
				t.Errorf("undo = %s, want %s", got, want)
			}
		})
	}
}

func TestASGAdjustCapacityNothingToDo(t *testing.T) {
	env := startMoto(t)
	env.seedASG(t, "at-max", 1, 6, 6, nil)
	env.seedASG(t, "at-min", 1, 1, 6, nil)
	a := asgAdjustCapacity{}
	cases := []struct {
		group   string
		params  map[string]any
		summary string
	}{
		{"at-max", map[string]any{"by": 2}, "desired 6 already at max 6"},
		{"at-min", map[string]any{"by": -1}, "desired 1 already at min 1"},
		{"at-min", map[string]any{"to": 1}, "desired capacity of at-min is already 1"},
		{"at-min", map[string]any{"to": 0}, "desired 1 already at min 1"},
	}
	for _, tc := range cases {
		plan, err := a.Plan(context.Background(), env.clients(), Target{ID: tc.group}, params(t, a, tc.params))
		if err != nil {
			t.Fatal(err)
		}
		if !plan.Empty() || plan.Summary != tc.summary {
			t.Errorf("%s %v: changes %v, summary %q; want none and %q", tc.group, tc.params, plan.Changes, plan.Summary, tc.summary)
		}
		if a.Undo(plan) != "" {
			t.Errorf("%s %v: undo of an empty plan = %q", tc.group, tc.params, a.Undo(plan))
		}
	}
}

func TestASGAdjustCapacityIdempotentTo(t *testing.T) {
	env := startMoto(t)
	env.seedASG(t, "api", 1, 2, 6, map[string]string{"watchkeeper:remediate": "off"})
	a := asgAdjustCapacity{}
	p := params(t, a, map[string]any{"to": 5})
	enforce(t, env.clients(), a, Target{ID: "api"}, p)
	if got := env.desired(t, "api"); got != 5 {
		t.Fatalf("desired = %d, want 5", got)
	}
	plan, err := a.Plan(context.Background(), env.clients(), Target{ID: "api"}, p)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Tags["watchkeeper:remediate"] != "off" {
		t.Errorf("tags = %v, want the opt-out tag read", plan.Tags)
	}
}

func TestASGAdjustCapacityRefusesStalePlan(t *testing.T) {
	env := startMoto(t)
	env.seedASG(t, "web", 1, 2, 8, nil)
	a := asgAdjustCapacity{}
	ctx := context.Background()
	plan, err := a.Plan(ctx, env.clients(), Target{ID: "web"}, params(t, a, map[string]any{"by": 2}))
	if err != nil {
		t.Fatal(err)
	}
	// Someone else scales the group between plan and apply.
	if _, err := autoscaling.NewFromConfig(env.cfg).SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String("web"), DesiredCapacity: aws.Int32(3),
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(ctx, env.clients(), plan); !errors.Is(err, ErrChanged) {
		t.Fatalf("apply of a stale plan: err = %v, want ErrChanged", err)
	}
	if got := env.desired(t, "web"); got != 3 {
		t.Fatalf("desired = %d, want 3 (untouched)", got)
	}
	if err := a.Verify(ctx, env.clients(), plan); !errors.Is(err, ErrVerify) {
		t.Fatalf("verify: err = %v, want ErrVerify", err)
	}
}

func TestCloudTrailStartLoggingMoto(t *testing.T) {
	env := startMoto(t)
	arn := env.seedTrail(t, "org-trail", false)
	a := cloudTrailStartLogging{}
	// Plan reads the status by name or by ARN alike.
	for _, id := range []string{"org-trail", arn} {
		plan, err := a.Plan(context.Background(), env.clients(), Target{ID: id}, params(t, a, nil))
		if err != nil {
			t.Fatalf("plan %s: %v", id, err)
		}
		if want := "start logging on trail " + id; plan.Summary != want || plan.Empty() {
			t.Errorf("plan %s: summary %q, want %q", id, plan.Summary, want)
		}
	}
	plan := enforce(t, env.clients(), a, Target{ID: "org-trail", Region: testRegion}, params(t, a, nil))
	if !env.trailLogging(t, "org-trail") {
		t.Fatal("trail is not logging after apply")
	}
	if want := "aws cloudtrail stop-logging --name org-trail --region " + testRegion; a.Undo(plan) != want {
		t.Errorf("undo = %s, want %s", a.Undo(plan), want)
	}
	plan, err := a.Plan(context.Background(), env.clients(), Target{ID: arn}, params(t, a, nil))
	if err != nil || !plan.Empty() || plan.Summary != "trail "+arn+" is logging" {
		t.Errorf("plan after apply: %+v, %v; want empty", plan, err)
	}
}

func TestS3BlockPublicAccessMoto(t *testing.T) {
	a := s3BlockPublicAccess{}
	t.Run("no configuration", func(t *testing.T) {
		env := startMoto(t)
		env.seedBucket(t, "wk-open-bucket", map[string]string{"team": "data"})
		plan := enforce(t, env.clients(), a, Target{ID: "wk-open-bucket"}, params(t, a, nil))
		if len(plan.Changes) != 4 {
			t.Errorf("changes %v, want all four flags", plan.Changes)
		}
		got, existed := env.publicAccess(t, "wk-open-bucket")
		if !existed || !got.all() {
			t.Fatalf("public access block = %+v (exists %t), want all four on", got, existed)
		}
		if plan.Tags["team"] != "data" {
			t.Errorf("tags = %v", plan.Tags)
		}
		if want := "aws s3api delete-public-access-block --bucket wk-open-bucket"; a.Undo(plan) != want {
			t.Errorf("undo = %s, want %s", a.Undo(plan), want)
		}
	})
	t.Run("partial configuration", func(t *testing.T) {
		env := startMoto(t)
		env.seedBucket(t, "wk-half-bucket", nil)
		c := env.clients()
		if err := putPublicAccess(env, "wk-half-bucket", publicAccess{BlockPublicAcls: true, IgnorePublicAcls: true}); err != nil {
			t.Fatal(err)
		}
		plan := enforce(t, c, a, Target{ID: "wk-half-bucket"}, params(t, a, nil))
		if want := []string{"turn on BlockPublicPolicy", "turn on RestrictPublicBuckets"}; !slices.Equal(plan.Changes, want) {
			t.Errorf("changes %v, want %v", plan.Changes, want)
		}
		if got, _ := env.publicAccess(t, "wk-half-bucket"); !got.all() {
			t.Fatalf("public access block = %+v, want all on", got)
		}
		want := "aws s3api put-public-access-block --bucket wk-half-bucket --public-access-block-configuration " +
			"BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false"
		if a.Undo(plan) != want {
			t.Errorf("undo = %s, want %s", a.Undo(plan), want)
		}
	})
}

func TestIAMDeactivateAccessKeyMoto(t *testing.T) {
	env := startMoto(t)
	key := env.seedKey(t, "ci-bot")
	other := env.seedKey(t, "alice")
	a := iamDeactivateAccessKey{}
	plan := enforce(t, env.clients(), a, Target{ID: key, Parent: "ci-bot"}, params(t, a, nil))
	if got := env.keyStatus(t, "ci-bot", key); got != "Inactive" {
		t.Fatalf("key status = %s, want Inactive", got)
	}
	if got := env.keyStatus(t, "alice", other); got != "Active" {
		t.Fatalf("another user's key status = %s, want Active", got)
	}
	if want := "aws iam update-access-key --user-name ci-bot --access-key-id " + key + " --status Active"; a.Undo(plan) != want {
		t.Errorf("undo = %s, want %s", a.Undo(plan), want)
	}
	if _, err := a.Plan(context.Background(), env.clients(), Target{ID: "AKIANOTTHERE0000000", Parent: "ci-bot"}, params(t, a, nil)); err == nil ||
		!strings.Contains(err.Error(), "not found") {
		t.Fatalf("plan for a missing key: err = %v, want not found", err)
	}
}

func TestActionsWithoutClientFail(t *testing.T) {
	ctx := context.Background()
	for _, a := range builtins() {
		t.Run(a.Name(), func(t *testing.T) {
			p, err := a.Schema().Validate(minimalParams(a.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Plan(ctx, Clients{}, Target{ID: "x", Parent: "y"}, p); !errors.Is(err, ErrMissingClient) {
				t.Errorf("plan: err = %v, want ErrMissingClient", err)
			}
			if err := a.Apply(ctx, Clients{}, Plan{Action: a.Name()}); err == nil {
				t.Error("apply of a foreign plan succeeded")
			}
		})
	}
}

// minimalParams are parameters every built-in accepts.
func minimalParams(action string) map[string]any {
	switch action {
	case "asg-adjust-capacity":
		return map[string]any{"by": 1}
	case "ec2-isolate-instance":
		return map[string]any{"quarantine_group_id": "sg-0aaaaaaaaaaaaaaaa"}
	case "ecs-set-desired-count":
		return map[string]any{"by": 1, "max": 4}
	case "vpc-restore-flow-logs":
		return map[string]any{"destination_arn": "arn:aws:logs:eu-west-1:123456789012:log-group:flow",
			"deliver_logs_role_arn": "arn:aws:iam::123456789012:role/flow"}
	case "ssm-run-command":
		return map[string]any{"document": "AWS-RunShellScript", "allowed_documents": []any{"AWS-RunShellScript"}}
	case "ssm-start-automation":
		return map[string]any{"document": "AWS-RestartEC2Instance", "target_parameter": "InstanceId",
			"parameters": []any{"AutomationAssumeRole=arn:aws:iam::123456789012:role/wk-automation"}}
	}
	return nil
}
