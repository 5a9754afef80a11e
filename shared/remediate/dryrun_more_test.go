package remediate

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
)

// TestPlanSendsNoMutatingRequest plans each moto-backed action of the
// second batch on resources that need fixing, through the recording proxy:
// every plan has changes, only Describe*/Get*/List* requests appear, and
// the resources are as seeded afterwards. (Instance refresh and Automation
// plans are checked by their request-checking servers.)
func TestPlanSendsNoMutatingRequest(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	rec, recURL := newAPIRecorder(t, env.m.Endpoint())

	ids, vpc, _ := env.seedInstances(t, 3, nil)
	ec2c := ec2.NewFromConfig(env.cfg)
	if _, err := ec2c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids[:1]}); err != nil {
		t.Fatal(err)
	}
	profile := env.seedInstanceProfile(t, "web")
	if _, err := ec2c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(ids[1]),
		IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String(profile)}}); err != nil {
		t.Fatal(err)
	}
	env.seedECSService(t, "prod", "worker", 2, nil)
	env.seedFunction(t, "runaway", nil)
	env.seedBucket(t, "wk-open", nil)
	env.putPolicy(t, "wk-open", policyOf(stmtPublicRead, stmtPartner))
	env.seedTrail(t, "org-trail", true)
	env.seedDB(t, "orders", true, nil)
	rdsc := rds.NewFromConfig(env.cfg)
	if _, err := rdsc.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders"),
		DBSnapshotIdentifier: aws.String("orders-final")}); err != nil {
		t.Fatal(err)
	}
	if _, err := rdsc.ModifyDBSnapshotAttribute(ctx, &rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("orders-final"),
		AttributeName: aws.String(restoreAttribute), ValuesToAdd: []string{restoreAll}}); err != nil {
		t.Fatal(err)
	}

	proxied := env.cfg.Copy()
	proxied.BaseEndpoint = &recURL
	proxied.ConfigSources = nil
	c := NewClients(proxied)
	c.S3Control = s3control.NewFromConfig(proxied, func(o *s3control.Options) {
		o.EndpointResolverV2 = staticS3ControlEndpoint{url: recURL}
	})

	cases := []struct {
		action Action
		target Target
		params map[string]any
	}{
		{ec2StartInstances{}, Target{ID: ids[0]}, nil},
		{ec2DetachInstanceProfile{}, Target{ID: ids[1]}, nil},
		{ec2SnapshotVolumes{}, Target{ID: ids[2]}, nil},
		{ecsSetDesiredCount{}, Target{ID: "worker", Parent: "prod"}, map[string]any{"to": 0, "max": 4}},
		{lambdaSetReservedConcurrency{}, Target{ID: "runaway"}, nil},
		{s3RemovePublicPolicyStatements{}, Target{ID: "wk-open"}, nil},
		{s3DefaultEncryption{}, Target{ID: "wk-open"}, map[string]any{"algorithm": "aws:kms", "kms_key_id": "alias/wk"}},
		{s3EnableVersioning{}, Target{ID: "wk-open"}, nil},
		{s3AccountPublicAccessBlock{}, Target{ID: "123456789012"}, nil},
		{cloudTrailRestoreConfig{}, Target{ID: "org-trail"}, nil},
		{rdsInstanceNotPublic{}, Target{ID: "orders"}, nil},
		{rdsRebootInstance{}, Target{ID: "orders"}, nil},
		{rdsSnapshotPrivate{}, Target{ID: "orders-final"}, nil},
		{vpcRestoreFlowLogs{}, Target{ID: vpc}, map[string]any{"destination_type": "s3", "destination_arn": "arn:aws:s3:::wk-open"}},
		{ssmRunCommand{}, Target{ID: ids[2]}, map[string]any{"document": "AWS-RunShellScript", "allowed_documents": []any{"AWS-RunShellScript"}}},
	}
	for _, tc := range cases {
		plan, err := tc.action.Plan(ctx, c, tc.target, params(t, tc.action, tc.params))
		if err != nil {
			t.Errorf("%s: plan: %v", tc.action.Name(), err)
			continue
		}
		if plan.Empty() {
			t.Errorf("%s: plan is empty (%s), want changes", tc.action.Name(), plan.Summary)
		}
	}
	calls := rec.recorded()
	if len(calls) < len(cases) {
		t.Fatalf("only %d requests recorded: %q", len(calls), calls)
	}
	for _, call := range calls {
		if !readOnly(call) {
			t.Errorf("planning sent a mutating request: %s", call)
		}
	}

	// And nothing changed.
	if ins := env.instances(t, ids...); stateOf(ins[0]) == ec2types.InstanceStateNameRunning {
		t.Errorf("%s was started", ids[0])
	}
	if assoc, err := profileAssociations(ctx, ec2c, ids[1:2]); err != nil || len(assoc) != 1 {
		t.Errorf("instance profile of %s: %v (%d associations)", ids[1], err, len(assoc))
	}
	if got := env.ecsService(t, "prod", "worker").DesiredCount; got != 2 {
		t.Errorf("desired count = %d, want 2", got)
	}
	if pol, err := bucketPolicy(ctx, s3.NewFromConfig(env.cfg), "wk-open"); err != nil || len(sids(t, pol)) != 2 {
		t.Errorf("bucket policy = %s (%v), want both statements", pol, err)
	}
	if st, err := versioningStatus(ctx, s3.NewFromConfig(env.cfg), "wk-open"); err != nil || st != "" {
		t.Errorf("versioning = %q (%v), want never enabled", st, err)
	}
	if _, existed, err := readAccountPAB(ctx, env.s3control(), "123456789012"); err != nil || existed {
		t.Errorf("account block exists %t (%v), want none", existed, err)
	}
	if tr, err := getTrail(ctx, cloudtrail.NewFromConfig(env.cfg), "org-trail"); err != nil || aws.ToBool(tr.IsMultiRegionTrail) {
		t.Errorf("trail multi-region %t (%v), want unchanged", aws.ToBool(tr.IsMultiRegionTrail), err)
	}
	if db := env.db(t, "orders"); !aws.ToBool(db.PubliclyAccessible) || rdsTags(db.TagList)[rdsRebootTag] != "" {
		t.Errorf("DB instance changed: public %t, tags %v", aws.ToBool(db.PubliclyAccessible), rdsTags(db.TagList))
	}
	if public, err := dbSnapshotPublic(ctx, rdsc, "orders-final"); err != nil || !public {
		t.Errorf("DB snapshot public %t (%v), want still public", public, err)
	}
	if fl, err := activeFlowLogs(ctx, ec2c, vpc); err != nil || len(fl) != 0 {
		t.Errorf("flow logs %v (%v), want none", fl, err)
	}
}
