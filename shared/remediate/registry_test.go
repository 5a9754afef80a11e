package remediate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/goccy/go-yaml"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// iamActionRE is the shape of an IAM action: service prefix, colon, an
// API name in PascalCase.
var iamActionRE = regexp.MustCompile(`^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$`)

// minBuiltins is how many actions the issue asks the registry for, at least.
const minBuiltins = 30

// TestRegistryWalk fails for any registered action that lacks what infra,
// docs and the service rely on: permissions, a schema with described
// parameters, a parseable example that uses the action, and an undo line.
func TestRegistryWalk(t *testing.T) {
	reg := Default()
	if len(reg.Names()) < minBuiltins {
		t.Fatalf("default registry has %d actions, want at least %d", len(reg.Names()), minBuiltins)
	}
	for _, name := range reg.Names() {
		t.Run(name, func(t *testing.T) {
			a, err := reg.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if a.Name() != name {
				t.Errorf("registered as %q but named %q", name, a.Name())
			}
			perms := a.Permissions()
			if len(perms) == 0 {
				t.Error("no IAM permissions declared")
			}
			for _, p := range perms {
				if !iamActionRE.MatchString(p) {
					t.Errorf("permission %q is not an IAM action", p)
				}
			}
			schema := a.Schema()
			for _, p := range schema.Params {
				if p.Name == "" || p.Description == "" || p.Type == "" {
					t.Errorf("parameter %+v lacks a name, type or description", p)
				}
				if p.Default != nil {
					if _, err := convert(p.Type, p.Default); err != nil {
						t.Errorf("parameter %s: default %v does not fit %s: %v", p.Name, p.Default, p.Type, err)
					}
				}
			}
			checkExample(t, a)
			plan := examplePlan(a)
			if undo := a.Undo(plan); !strings.HasPrefix(undo, "aws ") {
				t.Errorf("undo of an applied plan = %q, want an AWS CLI command line", undo)
			}
		})
	}
}

// checkExample parses the example as a config fragment and validates the
// rule it holds against the action's own schema.
func checkExample(t *testing.T, a Action) {
	t.Helper()
	ex := a.Example()
	if ex == "" {
		t.Fatal("no example")
	}
	var doc struct {
		Remediation config.Remediation `yaml:"remediation"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(ex), &doc, yaml.Strict()); err != nil {
		t.Fatalf("example is not a remediation config fragment: %v\n%s", err, ex)
	}
	if len(doc.Remediation.Rules) != 1 {
		t.Fatalf("example has %d rules, want 1", len(doc.Remediation.Rules))
	}
	r := doc.Remediation.Rules[0]
	if r.Action != a.Name() {
		t.Errorf("example uses action %q", r.Action)
	}
	if _, err := config.ParseMatchers(r.Matchers); err != nil || len(r.Matchers) == 0 {
		t.Errorf("example matchers %q: %v", r.Matchers, err)
	}
	if _, err := a.Schema().Validate(r.Params); err != nil {
		t.Errorf("example params: %v", err)
	}
}

// examplePlan is a non-empty plan of each built-in, as its Plan would make it.
func examplePlan(a Action) Plan {
	p := Plan{Action: a.Name(), Target: Target{ID: "x", Region: "eu-west-1"}, Changes: []string{"change"}}
	switch a.(type) {
	case revokeOpenIngress:
		p.Data = &sgPlan{GroupID: "sg-1", Ports: []int{22}, Revoke: openRules([]ec2types.IpPermission{perm("tcp", 22, 22, "0.0.0.0/0")}, []int{22}, false)}
	case asgAdjustCapacity:
		p.Data = &asgPlan{Group: "web", From: 2, To: 4, Min: 1, Max: 6}
	case cloudTrailStartLogging:
		p.Data = &trailPlan{Trail: "main"}
	case s3BlockPublicAccess:
		p.Data = &s3Plan{Bucket: "b", Existed: true}
	case iamDeactivateAccessKey:
		p.Data = &keyPlan{User: "u", KeyID: "AKIA0000000000000000"}
	case ec2StopInstances, ec2EnforceIMDSv2:
		p.Data = &instancePlan{Instances: []string{"i-0123456789abcdef0"}}
	case ec2IsolateInstance:
		p.Data = &instancePlan{Instances: []string{"i-0123456789abcdef0"}, Quarantine: "sg-2",
			OldGroups: map[string][]string{"i-0123456789abcdef0": {"sg-1"}}}
	case ec2RebootInstances:
		p.Data = &rebootPlan{Instances: []string{"i-0123456789abcdef0"}}
	case ebsSnapshotPrivate:
		p.Data = &snapPlan{Snapshot: "snap-0123456789abcdef0"}
	case kmsCancelKeyDeletion:
		p.Data = &kmsPlan{Key: "1234abcd-12ab-34cd-56ef-1234567890ab", Cancel: true, WindowDays: 7}
	case iamAttachDenyAll:
		p.Data = &policyPlan{Kind: iamRoleType, Principal: "r", PolicyARN: denyAllPolicyARN}
	case iamDetachAdminPolicy:
		p.Data = &policyPlan{Kind: iamUserType, Principal: "u", PolicyARN: adminPolicyARN}
	case guardDutyEnableDetector:
		p.Data = &detectorPlan{Detector: "12abc34d567e8fa901bc2d34e56789f0"}
	case configStartRecorder:
		p.Data = &recorderPlan{Recorder: "default"}
	case ec2StartInstances:
		p.Data = &instancePlan{Instances: []string{"i-0123456789abcdef0"}}
	case ec2DetachInstanceProfile:
		p.Data = &profilePlan{Associations: map[string]string{"i-0123456789abcdef0": "iip-assoc-1"},
			Profiles: map[string]string{"i-0123456789abcdef0": "arn:aws:iam::123456789012:instance-profile/web"}}
	case ec2SnapshotVolumes:
		p.Data = &volumePlan{Volumes: map[string]string{"vol-1": "i-0123456789abcdef0"}, Snapshots: []string{"snap-1"}}
	case asgStartInstanceRefresh:
		p.Data = &refreshPlan{Group: "web", MinHealthy: 90, RefreshID: "r-1"}
	case ecsForceNewDeployment:
		p.Data = &deployPlan{Cluster: "c", Service: "s", TaskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7"}
	case ecsSetDesiredCount:
		p.Data = &countPlan{Cluster: "c", Service: "s", From: 2, To: 4}
	case lambdaSetReservedConcurrency:
		p.Data = &concurrencyPlan{Function: "f", To: 0}
	case s3RemovePublicPolicyStatements:
		p.Data = &bucketPolicyPlan{Bucket: "b", Old: `{"Statement":[]}`}
	case s3DefaultEncryption:
		p.Data = &encryptionPlan{Bucket: "b", Existed: true, Before: encryption{Algorithm: sseS3}}
	case s3EnableVersioning:
		p.Data = &versioningPlan{Bucket: "b"}
	case s3AccountPublicAccessBlock:
		p.Data = &accountPABPlan{Account: "123456789012"}
	case cloudTrailRestoreConfig:
		p.Data = &trailConfigPlan{Trail: "main", MultiRegion: true}
	case rdsSnapshotPrivate:
		p.Data = &rdsSnapPlan{Snapshot: "s"}
	case rdsInstanceNotPublic:
		p.Data = &dbPlan{Instance: "db"}
	case rdsRebootInstance:
		p.Data = &dbRebootPlan{dbPlan: dbPlan{Instance: "db", ARN: "arn:aws:rds:eu-west-1:123456789012:db:db"}}
	case vpcRestoreFlowLogs:
		p.Data = &flowLogPlan{VPC: "vpc-1", FlowLogs: []string{"fl-1"}}
	case ssmRunCommand:
		p.Data = &commandPlan{Instances: []string{"i-0123456789abcdef0"}, CommandID: "c-1"}
	case ssmStartAutomation:
		p.Data = &automationPlan{Document: "AWS-RestartEC2Instance", ExecutionID: "e-1"}
	}
	return p
}

func TestLookupUnknownListsValidNames(t *testing.T) {
	_, err := Default().Lookup("revoke-ingress")
	if !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("err = %v, want ErrUnknownAction", err)
	}
	want := `unknown remediation action "revoke-ingress" (valid: asg-adjust-capacity, asg-start-instance-refresh, ` +
		`cloudtrail-restore-trail-config, cloudtrail-start-logging, config-start-recorder, ebs-snapshot-private, ` +
		`ec2-detach-instance-profile, ec2-enforce-imdsv2, ec2-isolate-instance, ec2-reboot-instances, ec2-snapshot-volumes, ` +
		`ec2-start-instances, ec2-stop-instances, ecs-force-new-deployment, ecs-set-desired-count, guardduty-enable-detector, ` +
		`iam-attach-deny-all, iam-deactivate-access-key, iam-detach-admin-policy, kms-cancel-key-deletion, ` +
		`lambda-set-reserved-concurrency, rds-instance-not-public, rds-reboot-instance, rds-snapshot-private, ` +
		`revoke-open-ingress, s3-account-public-access-block, s3-block-public-access, s3-default-encryption, ` +
		`s3-enable-versioning, s3-remove-public-policy-statements, ssm-run-command, ssm-start-automation, ` +
		`vpc-restore-flow-logs)`
	if err.Error() != want {
		t.Errorf("err = %s\nwant  %s", err, want)
	}
}

func TestRegisterRejectsDuplicatesAndNoName(t *testing.T) {
	reg := NewRegistry()
	if err := reg.Register(asgAdjustCapacity{}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(asgAdjustCapacity{}); err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Errorf("second register: err = %v", err)
	}
	if err := reg.Register(namedAction{}); err == nil {
		t.Error("registering an action without a name succeeded")
	}
	if err := reg.Register(namedAction{name: "custom"}); err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Names(), []string{"asg-adjust-capacity", "custom"}; !slices.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
}

func TestPermissionsUnion(t *testing.T) {
	reg := Default()
	got, err := reg.Permissions([]string{"revoke-open-ingress", "asg-adjust-capacity", "revoke-open-ingress"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"autoscaling:DescribeAutoScalingGroups", "autoscaling:SetDesiredCapacity",
		"ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"}
	if !slices.Equal(got, want) {
		t.Errorf("permissions = %v, want %v", got, want)
	}
	all, err := reg.Permissions(reg.Names())
	if err != nil {
		t.Fatal(err)
	}
	// iam:PassRole is never granted on every resource: only scoped to the
	// roles rules name (ScopedPermissions).
	if len(all) != 77 || !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != len(all) || slices.Contains(all, PassRoleAction) {
		t.Errorf("all permissions = %v, want 77 sorted, each once, without %s", all, PassRoleAction)
	}
	if _, err := reg.Permissions([]string{"nope"}); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("unknown name: err = %v", err)
	}
}

// namedAction is a minimal Action for registry tests: it only has a name.
type namedAction struct{ name string }

func (n namedAction) Name() string                             { return n.name }
func (namedAction) Schema() ParamSchema                        { return ParamSchema{} }
func (namedAction) Permissions() []string                      { return nil }
func (namedAction) Example() string                            { return "" }
func (namedAction) Target(alert.Alert, Params) (Target, error) { return Target{}, ErrNoTarget }
func (namedAction) Plan(context.Context, Clients, Target, Params) (Plan, error) {
	return Plan{}, nil
}
func (namedAction) Apply(context.Context, Clients, Plan) error  { return nil }
func (namedAction) Verify(context.Context, Clients, Plan) error { return nil }
func (namedAction) Undo(Plan) string                            { return "" }

// TestDocsListEveryAction keeps docs/config.md's action table in step with
// the registry.
func TestDocsListEveryAction(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "config.md"))
	if os.IsNotExist(err) {
		t.Skip("docs/config.md is absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Default().Names() {
		if !strings.Contains(string(b), "| `"+n+"` |") {
			t.Errorf("docs/config.md has no row for action %s", n)
		}
	}
}
