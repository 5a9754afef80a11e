package remediate

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// seedInstances launches n instances in a new VPC, in one security group,
// with IMDSv1 allowed, and returns their ids and the VPC id.
func (e motoEnv) seedInstances(t testing.TB, n int32, tags map[string]string) ([]string, string, string) {
	t.Helper()
	ctx := context.Background()
	c := ec2.NewFromConfig(e.cfg)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatalf("create vpc: %v", err)
	}
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.1.1.0/24"),
		AvailabilityZone: aws.String(testRegion + "a")})
	if err != nil {
		t.Fatalf("create subnet: %v", err)
	}
	g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatalf("create security group: %v", err)
	}
	in := &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(n), MaxCount: aws.Int32(n), SubnetId: sub.Subnet.SubnetId, SecurityGroupIds: []string{aws.ToString(g.GroupId)},
		MetadataOptions: &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateOptional}}
	if len(tags) > 0 {
		spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance}
		for k, v := range tags {
			spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []ec2types.TagSpecification{spec}
	}
	out, err := c.RunInstances(ctx, in)
	if err != nil {
		t.Fatalf("run instances: %v", err)
	}
	ids := make([]string, 0, n)
	for _, i := range out.Instances {
		ids = append(ids, aws.ToString(i.InstanceId))
	}
	return ids, aws.ToString(vpc.Vpc.VpcId), aws.ToString(g.GroupId)
}

// instances describes ids as moto now has them.
func (e motoEnv) instances(t testing.TB, ids ...string) []ec2types.Instance {
	t.Helper()
	ins, err := describeInstances(context.Background(), ec2.NewFromConfig(e.cfg), ids)
	if err != nil {
		t.Fatal(err)
	}
	return ins
}

// ec2Call is the CloudTrail record of an EC2 API call in testRegion.
func ec2Call(t testing.TB, name, requestParameters string) alert.Alert {
	t.Helper()
	return trailAlert(t, `{"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"`+name+`","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","userIdentity":{"type":"IAMUser","userName":"mallory","accountId":"123456789012"},
"requestParameters":`+requestParameters+`}`)
}

// instanceAlarm is the alert of a CloudWatch alarm on one instance's CPU, as
// the SNS message of the alarm action carries it.
func instanceAlarm(t testing.TB, id string) alert.Alert {
	t.Helper()
	a, err := alert.ParseAlarmMessage([]byte(`{"AlarmName":"cpu-pegged-` + id + `","AWSAccountId":"123456789012",
"NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","StateChangeTime":"2026-11-25T10:00:12.418+0000",
"Region":"EU (Ireland)","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu-pegged-` + id + `","OldStateValue":"OK",
"Trigger":{"MetricName":"CPUUtilization","Namespace":"AWS/EC2","StatisticType":"Statistic","Statistic":"AVERAGE","Unit":null,
"Dimensions":[{"value":"` + id + `","name":"InstanceId"}],"Period":300,"EvaluationPeriods":2,"ComparisonOperator":"GreaterThanThreshold",
"Threshold":95.0,"TreatMissingData":"missing"}}`))
	if err != nil {
		t.Fatalf("parse alarm: %v", err)
	}
	return *a
}

// target runs the action's Target on an alert, failing the test on error.
func target(t testing.TB, a Action, al alert.Alert, p Params) Target {
	t.Helper()
	tg, err := a.Target(al, p)
	if err != nil {
		t.Fatalf("%s target: %v", a.Name(), err)
	}
	return tg
}

func TestEC2StopInstancesMoto(t *testing.T) {
	a := ec2StopInstances{}
	t.Run("from instancesSet, snapshots first", func(t *testing.T) {
		env := startMoto(t)
		ids, _, _ := env.seedInstances(t, 2, map[string]string{"team": "web"})
		al := ec2Call(t, "StartInstances", `{"instancesSet":{"items":[{"instanceId":"`+ids[0]+`"},{"instanceId":"`+ids[1]+`"}]}}`)
		p := params(t, a, map[string]any{"snapshot_first": true})
		tg := target(t, a, al, p)
		if tg.ID != ids[0]+","+ids[1] || tg.From != "requestParameters.instancesSet" || tg.Region != testRegion {
			t.Fatalf("target = %+v", tg)
		}
		plan := enforce(t, env.clients(), a, tg, p)
		if plan.Tags["team"] != "web" {
			t.Errorf("tags = %v", plan.Tags)
		}
		for _, in := range env.instances(t, ids...) {
			if s := stateOf(in); s != ec2types.InstanceStateNameStopped && s != ec2types.InstanceStateNameStopping {
				t.Errorf("%s is %s, want stopped", aws.ToString(in.InstanceId), s)
			}
		}
		d := plan.Data.(*instancePlan)
		vols := 0
		for _, v := range d.Volumes {
			vols += len(v)
		}
		if vols == 0 || len(d.Snapshots) != vols {
			t.Fatalf("snapshots %v of volumes %v: want one per volume, taken once", d.Snapshots, d.Volumes)
		}
		// Found by the tag the dry-run test relies on to prove none was taken.
		snaps, err := ec2.NewFromConfig(env.cfg).DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{
			Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"watchkeeper:instance"}}},
		})
		if err != nil || len(snaps.Snapshots) != vols {
			t.Fatalf("describe snapshots: %v (%d)", err, len(snaps.Snapshots))
		}
		want := "aws ec2 start-instances --instance-ids " + ids[0] + " " + ids[1] + " --region " + testRegion
		if got := a.Undo(plan); got != want {
			t.Errorf("undo = %s, want %s", got, want)
		}
	})
	t.Run("from the alarm dimension", func(t *testing.T) {
		env := startMoto(t)
		ids, _, _ := env.seedInstances(t, 2, nil)
		p := params(t, a, nil)
		tg := target(t, a, instanceAlarm(t, ids[1]), p)
		if tg.ID != ids[1] || tg.From != "dimension InstanceId" {
			t.Fatalf("target = %+v", tg)
		}
		plan := enforce(t, env.clients(), a, tg, p)
		if d := plan.Data.(*instancePlan); len(d.Snapshots) != 0 {
			t.Errorf("snapshots %v without snapshot_first", d.Snapshots)
		}
		ins := env.instances(t, ids...)
		if stateOf(ins[0]) != ec2types.InstanceStateNameRunning || stateOf(ins[1]) == ec2types.InstanceStateNameRunning {
			t.Errorf("states %s, %s; want only the alarm's instance stopped", stateOf(ins[0]), stateOf(ins[1]))
		}
	})
}

func TestEC2RebootInstancesMoto(t *testing.T) {
	env := startMoto(t)
	ids, _, _ := env.seedInstances(t, 1, nil)
	a := ec2RebootInstances{}
	p := params(t, a, nil)
	tg := target(t, a, instanceAlarm(t, ids[0]), p)
	plan := enforce(t, env.clients(), a, tg, p)
	in := env.instances(t, ids[0])[0]
	if stateOf(in) != ec2types.InstanceStateNameRunning || ec2Tags(in.Tags)[rebootTag] == "" {
		t.Fatalf("after reboot: state %s, tags %v", stateOf(in), ec2Tags(in.Tags))
	}
	want := "aws ec2 delete-tags --resources " + ids[0] + " --tags Key=watchkeeper:rebooted-at --region " + testRegion
	if got := a.Undo(plan); got != want {
		t.Errorf("undo = %s, want %s", got, want)
	}
}

func TestEC2EnforceIMDSv2Moto(t *testing.T) {
	env := startMoto(t)
	ids, _, _ := env.seedInstances(t, 1, nil)
	a := ec2EnforceIMDSv2{}
	p := params(t, a, nil)
	al := ec2Call(t, "ModifyInstanceMetadataOptions", `{"instanceId":"`+ids[0]+`","httpTokens":"optional"}`)
	tg := target(t, a, al, p)
	if tg.ID != ids[0] || tg.From != "requestParameters.instanceId" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	if got := httpTokens(env.instances(t, ids[0])[0]); got != "required" {
		t.Fatalf("http tokens = %s, want required", got)
	}
	want := "aws ec2 modify-instance-metadata-options --instance-id " + ids[0] + " --http-tokens optional --region " + testRegion
	if got := a.Undo(plan); got != want {
		t.Errorf("undo = %s, want %s", got, want)
	}
}

func TestEC2IsolateInstanceMoto(t *testing.T) {
	env := startMoto(t)
	ids, vpc, web := env.seedInstances(t, 1, nil)
	c := ec2.NewFromConfig(env.cfg)
	q, err := c.CreateSecurityGroup(context.Background(), &ec2.CreateSecurityGroupInput{GroupName: aws.String("quarantine"),
		Description: aws.String("no rules"), VpcId: aws.String(vpc)})
	if err != nil {
		t.Fatal(err)
	}
	qid := aws.ToString(q.GroupId)
	a := ec2IsolateInstance{}
	p := params(t, a, map[string]any{"quarantine_group_id": qid})
	// A finding names the instance as a resource.
	al := alert.Alert{Resources: []alert.Resource{{Type: "AwsEc2Instance", ID: ids[0], Region: testRegion, Account: "123456789012",
		ARN: "arn:aws:ec2:eu-west-1:123456789012:instance/" + ids[0]}}}
	tg := target(t, a, al, p)
	if tg.ID != ids[0] || tg.From != "resource AwsEc2Instance" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	if got := groupIDs(env.instances(t, ids[0])[0]); !slices.Equal(got, []string{qid}) {
		t.Fatalf("groups = %v, want only %s", got, qid)
	}
	if d := plan.Data.(*instancePlan); !slices.Equal(d.OldGroups[ids[0]], []string{web}) {
		t.Errorf("recorded old groups %v, want [%s]", d.OldGroups, web)
	}
	want := "aws ec2 modify-instance-attribute --instance-id " + ids[0] + " --groups " + web + " --region " + testRegion
	if got := a.Undo(plan); got != want {
		t.Errorf("undo = %s, want %s", got, want)
	}
	if _, err := a.Schema().Validate(nil); err == nil {
		t.Error("schema accepts a rule without quarantine_group_id")
	}
}

func TestEBSSnapshotPrivateMoto(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	c := ec2.NewFromConfig(env.cfg)
	vol, err := c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(testRegion + "a"), Size: aws.Int32(8)})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(snap.SnapshotId)
	if _, err := c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: snap.SnapshotId,
		Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission, OperationType: ec2types.OperationTypeAdd,
		GroupNames: []string{"all"}}); err != nil {
		t.Fatal(err)
	}
	a := ebsSnapshotPrivate{}
	al := ec2Call(t, "ModifySnapshotAttribute", `{"snapshotId":"`+id+`","attributeType":"CREATE_VOLUME_PERMISSION",
"createVolumePermission":{"add":{"items":[{"group":"all"}]}}}`)
	tg := target(t, a, al, nil)
	if tg.ID != id || tg.Type != "AWS::EC2::Snapshot" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, params(t, a, nil))
	if public, err := snapshotPublic(ctx, c, id); err != nil || public {
		t.Fatalf("public after apply = %t, %v", public, err)
	}
	want := "aws ec2 modify-snapshot-attribute --snapshot-id " + id + " --attribute createVolumePermission --operation-type add --group-names all --region " + testRegion
	if got := a.Undo(plan); got != want {
		t.Errorf("undo = %s, want %s", got, want)
	}
}

func TestKMSCancelKeyDeletionMoto(t *testing.T) {
	for _, enable := range []bool{false, true} {
		t.Run("enable="+map[bool]string{false: "false", true: "true"}[enable], func(t *testing.T) {
			env := startMoto(t)
			ctx := context.Background()
			c := kms.NewFromConfig(env.cfg)
			key, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("orders")})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(key.KeyMetadata.KeyId)
			if _, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(10)}); err != nil {
				t.Fatal(err)
			}
			a := kmsCancelKeyDeletion{}
			p := params(t, a, map[string]any{"enable": enable})
			al := trailAlert(t, `{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"keyId":"`+id+`","pendingWindowInDays":10},
"responseElements":{"keyId":"arn:aws:kms:eu-west-1:123456789012:key/`+id+`","keyState":"PendingDeletion"}}`)
			tg := target(t, a, al, p)
			if tg.ID != id || tg.From != "requestParameters.keyId" {
				t.Fatalf("target = %+v", tg)
			}
			plan := enforce(t, env.clients(), a, tg, p)
			meta, err := describeKey(ctx, c, id)
			if err != nil {
				t.Fatal(err)
			}
			want := kmstypes.KeyStateDisabled
			if enable {
				want = kmstypes.KeyStateEnabled
			}
			if meta.KeyState != want {
				t.Fatalf("key state = %s, want %s", meta.KeyState, want)
			}
			undo := a.Undo(plan)
			if !strings.HasSuffix(undo, "aws kms schedule-key-deletion --key-id "+id+" --pending-window-in-days 10 --region "+testRegion) ||
				strings.Contains(undo, "disable-key") != enable {
				t.Errorf("undo = %s", undo)
			}
		})
	}
}

// seedPolicy creates a customer managed policy (moto does not load the AWS
// managed ones by default) and returns its ARN.
func (e motoEnv) seedPolicy(t testing.TB, name, doc string) string {
	t.Helper()
	out, err := iam.NewFromConfig(e.cfg).CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Policy.Arn)
}

const (
	denyAllDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`
	adminDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	trustDoc   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
)

func TestIAMAttachDenyAllMoto(t *testing.T) {
	a := iamAttachDenyAll{}
	t.Run("assumed-role actor", func(t *testing.T) {
		env := startMoto(t)
		ctx := context.Background()
		if _, err := iam.NewFromConfig(env.cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ci-deployer"),
			AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
			t.Fatal(err)
		}
		deny := env.seedPolicy(t, "DenyAll", denyAllDoc)
		p := params(t, a, map[string]any{"policy_arn": deny})
		al := trailAlert(t, `{"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"name":"org-trail"},
"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/ci-deployer/build-42","accountId":"123456789012",
"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/ci-deployer","accountId":"123456789012","userName":"ci-deployer"}}}}`)
		tg := target(t, a, al, p)
		if tg.Type != iamRoleType || tg.ID != "ci-deployer" || tg.ARN != "arn:aws:iam::123456789012:role/ci-deployer" {
			t.Fatalf("target = %+v", tg)
		}
		plan := enforce(t, env.clients(), a, tg, p)
		got, err := attachedPolicies(ctx, iam.NewFromConfig(env.cfg), iamRoleType, "ci-deployer")
		if err != nil || !slices.Equal(got, []string{deny}) {
			t.Fatalf("attached = %v, %v; want [%s]", got, err, deny)
		}
		if want := "aws iam detach-role-policy --role-name ci-deployer --policy-arn " + deny; a.Undo(plan) != want {
			t.Errorf("undo = %s, want %s", a.Undo(plan), want)
		}
	})
	t.Run("subject user", func(t *testing.T) {
		env := startMoto(t)
		env.seedKey(t, "ci-bot")
		deny := env.seedPolicy(t, "DenyAll", denyAllDoc)
		p := params(t, a, map[string]any{"policy_arn": deny, "principal": "subject"})
		tg := target(t, a, trailAlert(t, createAccessKeyRecord), p)
		if tg.Type != iamUserType || tg.ID != "ci-bot" {
			t.Fatalf("target = %+v", tg)
		}
		enforce(t, env.clients(), a, tg, p)
		got, err := attachedPolicies(context.Background(), iam.NewFromConfig(env.cfg), iamUserType, "ci-bot")
		if err != nil || !slices.Equal(got, []string{deny}) {
			t.Fatalf("attached = %v, %v; want [%s]", got, err, deny)
		}
	})
	if got := params(t, a, nil).String("policy_arn"); got != "arn:aws:iam::aws:policy/AWSDenyAll" {
		t.Errorf("default policy_arn = %s", got)
	}
}

func TestIAMDetachAdminPolicyMoto(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	c := iam.NewFromConfig(env.cfg)
	env.seedKey(t, "intern")
	admin := env.seedPolicy(t, "AdministratorAccess", adminDoc)
	other := env.seedPolicy(t, "ReadOnly", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`)
	for _, arn := range []string{admin, other} {
		if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("intern"), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	a := iamDetachAdminPolicy{}
	p := params(t, a, map[string]any{"policy_arns": []any{admin}})
	record := func(policy string) alert.Alert {
		return trailAlert(t, `{"eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","awsRegion":"us-east-1",
"recipientAccountId":"123456789012","userIdentity":{"type":"IAMUser","userName":"mallory"},
"requestParameters":{"userName":"intern","policyArn":"`+policy+`"}}`)
	}
	if _, err := a.Target(record(other), p); err == nil {
		t.Error("attaching a policy outside policy_arns yields a target")
	}
	tg := target(t, a, record(admin), p)
	if tg.Parent != "intern" || tg.ID != admin || tg.ARN != "arn:aws:iam::123456789012:user/intern" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	got, err := attachedPolicies(ctx, c, iamUserType, "intern")
	if err != nil || !slices.Equal(got, []string{other}) {
		t.Fatalf("attached = %v, %v; want only [%s]", got, err, other)
	}
	if want := "aws iam attach-user-policy --user-name intern --policy-arn " + admin; a.Undo(plan) != want {
		t.Errorf("undo = %s, want %s", a.Undo(plan), want)
	}
}

func TestGuardDutyEnableDetectorMoto(t *testing.T) {
	a := guardDutyEnableDetector{}
	gdCall := func(name, params string) alert.Alert {
		return trailAlert(t, `{"eventSource":"guardduty.amazonaws.com","eventName":"`+name+`","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":`+params+`}`)
	}
	t.Run("disabled by UpdateDetector", func(t *testing.T) {
		env := startMoto(t)
		ctx := context.Background()
		c := guardduty.NewFromConfig(env.cfg)
		out, err := c.CreateDetector(ctx, &guardduty.CreateDetectorInput{Enable: aws.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(out.DetectorId)
		if _, err := a.Target(gdCall("UpdateDetector", `{"detectorId":"`+id+`","enable":true}`), nil); err == nil {
			t.Error("an UpdateDetector that enables yields a target")
		}
		tg := target(t, a, gdCall("UpdateDetector", `{"detectorId":"`+id+`","enable":false}`), nil)
		plan := enforce(t, env.clients(), a, tg, params(t, a, nil))
		if got, on, _, err := regionDetector(ctx, c); err != nil || !on || got != id {
			t.Fatalf("detector %s enabled %t (%v), want %s enabled", got, on, err, id)
		}
		if want := "aws guardduty update-detector --detector-id " + id + " --no-enable --region " + testRegion; a.Undo(plan) != want {
			t.Errorf("undo = %s, want %s", a.Undo(plan), want)
		}
	})
	t.Run("deleted", func(t *testing.T) {
		env := startMoto(t)
		tg := target(t, a, gdCall("DeleteDetector", `{"detectorId":"12abc34d567e8fa901bc2d34e56789f0"}`), nil)
		plan := enforce(t, env.clients(), a, tg, params(t, a, nil))
		id, on, _, err := regionDetector(context.Background(), guardduty.NewFromConfig(env.cfg))
		if err != nil || !on || id == "" {
			t.Fatalf("detector %q enabled %t (%v), want a new enabled one", id, on, err)
		}
		if want := "aws guardduty delete-detector --detector-id " + id + " --region " + testRegion; a.Undo(plan) != want {
			t.Errorf("undo = %s, want %s", a.Undo(plan), want)
		}
	})
}

func TestConfigStartRecorderMoto(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	env.seedBucket(t, "wk-config-logs", nil)
	c := configservice.NewFromConfig(env.cfg)
	if _, err := c.PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: &cstypes.ConfigurationRecorder{
		Name: aws.String("default"), RoleARN: aws.String("arn:aws:iam::123456789012:role/config"),
		RecordingGroup: &cstypes.RecordingGroup{AllSupported: true},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutDeliveryChannel(ctx, &configservice.PutDeliveryChannelInput{DeliveryChannel: &cstypes.DeliveryChannel{
		Name: aws.String("default"), S3BucketName: aws.String("wk-config-logs"),
	}}); err != nil {
		t.Fatal(err)
	}
	a := configStartRecorder{}
	al := trailAlert(t, `{"eventSource":"config.amazonaws.com","eventName":"StopConfigurationRecorder","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"configurationRecorderName":"default"}}`)
	tg := target(t, a, al, nil)
	if tg.ID != "default" || tg.Type != "AWS::Config::ConfigurationRecorder" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, params(t, a, nil))
	if on, err := recorderRecording(ctx, c, "default"); err != nil || !on {
		t.Fatalf("recording = %t, %v", on, err)
	}
	if want := "aws configservice stop-configuration-recorder --configuration-recorder-name default --region " + testRegion; a.Undo(plan) != want {
		t.Errorf("undo = %s, want %s", a.Undo(plan), want)
	}
}

// TestDryRunNewActionsSendNoMutatingRequest runs each action added with
// the EC2 instance, snapshot, KMS, IAM, GuardDuty and Config groups in
// dry-run on resources that need fixing, through the recording proxy: only
// Describe*/Get*/List* requests may appear, and moto's state is unchanged.
func TestDryRunNewActionsSendNoMutatingRequest(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	store, _ := env.seedTable(t, "state")
	rec, recURL := newAPIRecorder(t, env.m.Endpoint())

	ids, vpc, web := env.seedInstances(t, 4, nil)
	ec2c := ec2.NewFromConfig(env.cfg)
	q, err := ec2c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("quarantine"),
		Description: aws.String("no rules"), VpcId: aws.String(vpc)})
	if err != nil {
		t.Fatal(err)
	}
	vol, err := ec2c.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: aws.String(testRegion + "a"), Size: aws.Int32(8)})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ec2c.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: vol.VolumeId})
	if err != nil {
		t.Fatal(err)
	}
	snapID := aws.ToString(snap.SnapshotId)
	if _, err := ec2c.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{SnapshotId: snap.SnapshotId,
		Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission, OperationType: ec2types.OperationTypeAdd,
		GroupNames: []string{"all"}}); err != nil {
		t.Fatal(err)
	}
	kmsc := kms.NewFromConfig(env.cfg)
	key, err := kmsc.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyID := aws.ToString(key.KeyMetadata.KeyId)
	if _, err := kmsc.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyID), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	env.seedKey(t, "intern")
	admin := env.seedPolicy(t, "AdministratorAccess", adminDoc)
	deny := env.seedPolicy(t, "DenyAll", denyAllDoc)
	iamc := iam.NewFromConfig(env.cfg)
	if _, err := iamc.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("intern"), PolicyArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}

	proxied := env.cfg.Copy()
	proxied.BaseEndpoint = &recURL
	proxied.ConfigSources = nil
	rule := func(name, event, action string, params map[string]any) config.RemediationRule {
		return config.RemediationRule{Name: name, Matchers: []string{"event_name=" + event}, Action: action, Params: params}
	}
	rules := []config.RemediationRule{
		rule("stop", "StartInstances", "ec2-stop-instances", map[string]any{"snapshot_first": true}),
		rule("reboot", "RebootInstances", "ec2-reboot-instances", nil),
		rule("imds", "ModifyInstanceMetadataOptions", "ec2-enforce-imdsv2", nil),
		rule("isolate", "ModifyInstanceAttribute", "ec2-isolate-instance", map[string]any{"quarantine_group_id": aws.ToString(q.GroupId)}),
		rule("snapshot", "ModifySnapshotAttribute", "ebs-snapshot-private", nil),
		rule("kms", "ScheduleKeyDeletion", "kms-cancel-key-deletion", map[string]any{"enable": true}),
		rule("admin", "AttachUserPolicy", "iam-detach-admin-policy", map[string]any{"policy_arns": []any{admin}}),
		rule("quarantine", "DeleteTrail", "iam-attach-deny-all", map[string]any{"policy_arn": deny, "principal": "actor"}),
	}
	cfg := remediationConfig(config.ModeDryRun, rules...)
	svc, err := New(cfg, Default(), NewClients(proxied), Deps{
		Audit:      store,
		KillSwitch: NewSSMKillSwitch(ssm.NewFromConfig(proxied), cfg.Remediation.KillSwitchParameter, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	ec2Event := func(name, params string) []byte {
		return apiCallEvent("ec2-"+name, "aws.ec2", `{"eventSource":"ec2.amazonaws.com","eventName":"`+name+`","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":`+params+`}`)
	}
	one := func(id string) string { return `{"instancesSet":{"items":[{"instanceId":"` + id + `"}]}}` }
	payloads := map[string][]byte{
		"stop":     ec2Event("StartInstances", one(ids[0])),
		"reboot":   ec2Event("RebootInstances", one(ids[1])),
		"imds":     ec2Event("ModifyInstanceMetadataOptions", `{"instanceId":"`+ids[2]+`","httpTokens":"optional"}`),
		"isolate":  ec2Event("ModifyInstanceAttribute", `{"instanceId":"`+ids[3]+`","groupSet":{"items":[{"groupId":"`+web+`"}]}}`),
		"snapshot": ec2Event("ModifySnapshotAttribute", `{"snapshotId":"`+snapID+`","attributeType":"CREATE_VOLUME_PERMISSION"}`),
		"kms": apiCallEvent("kms-1", "aws.kms", `{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"keyId":"`+keyID+`","pendingWindowInDays":7}}`),
		"admin": apiCallEvent("iam-1", "aws.iam", `{"eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","awsRegion":"us-east-1",
"recipientAccountId":"123456789012","requestParameters":{"userName":"intern","policyArn":"`+admin+`"}}`),
		"quarantine": apiCallEvent("ct-1", "aws.cloudtrail", `{"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","userIdentity":{"type":"IAMUser","userName":"intern","accountId":"123456789012"},"requestParameters":{"name":"org"}}`),
	}
	for name, p := range payloads {
		resp, err := svc.Handle(ctx, p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomePlanned {
			t.Fatalf("%s: remediations = %+v, want one planned", name, resp.Remediations)
		}
	}
	calls := rec.recorded()
	for _, want := range []string{"DescribeInstances", "DescribeSnapshotAttribute", "DescribeKey", "ListAttachedUserPolicies"} {
		if !slices.Contains(calls, want) {
			t.Errorf("no %s request recorded (recorded %q)", want, calls)
		}
	}
	for _, c := range calls {
		if !readOnly(c) {
			t.Errorf("dry-run sent a mutating request: %s", c)
		}
	}

	// And nothing changed.
	ins := env.instances(t, ids...)
	for _, in := range ins {
		if stateOf(in) != ec2types.InstanceStateNameRunning || httpTokens(in) == "required" || ec2Tags(in.Tags)[rebootTag] != "" {
			t.Errorf("%s changed: %s, tokens %s, tags %v", aws.ToString(in.InstanceId), stateOf(in), httpTokens(in), ec2Tags(in.Tags))
		}
	}
	if got := groupIDs(ins[3]); !slices.Equal(got, []string{web}) {
		t.Errorf("groups of %s = %v, want [%s]", ids[3], got, web)
	}
	if snaps, err := ec2c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{
		Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"watchkeeper:instance"}}},
	}); err != nil || len(snaps.Snapshots) != 0 {
		t.Errorf("dry-run took snapshots (%v)", err)
	}
	if public, err := snapshotPublic(ctx, ec2c, snapID); err != nil || !public {
		t.Errorf("snapshot public = %t (%v), want still public", public, err)
	}
	if meta, err := describeKey(ctx, kmsc, keyID); err != nil || meta.KeyState != kmstypes.KeyStatePendingDeletion {
		t.Errorf("key state = %s (%v), want PendingDeletion", meta.KeyState, err)
	}
	if got, err := attachedPolicies(ctx, iamc, iamUserType, "intern"); err != nil || !slices.Equal(got, []string{admin}) {
		t.Errorf("attached to intern = %v (%v), want only [%s]", got, err, admin)
	}
}
