package remediate

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

func TestEC2StartInstancesMoto(t *testing.T) {
	env := startMoto(t)
	ids, _, _ := env.seedInstances(t, 2, map[string]string{"team": "ops"})
	ctx := context.Background()
	c := ec2.NewFromConfig(env.cfg)
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: ids}); err != nil {
		t.Fatal(err)
	}
	a := ec2StartInstances{}
	p := params(t, a, nil)
	tg := target(t, a, ec2Call(t, "StopInstances", `{"instancesSet":{"items":[{"instanceId":"`+ids[0]+`"}]}}`), p)
	if tg.ID != ids[0] || tg.From != "requestParameters.instancesSet" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	if plan.Tags["team"] != "ops" {
		t.Errorf("tags = %v", plan.Tags)
	}
	ins := env.instances(t, ids...)
	if !live(ins[0]) || live(ins[1]) {
		t.Errorf("states %s, %s; want only %s started", stateOf(ins[0]), stateOf(ins[1]), ids[0])
	}
	if got, want := a.Undo(plan), "aws ec2 stop-instances --instance-ids "+ids[0]+" --region "+testRegion; got != want {
		t.Errorf("undo = %s, want %s", got, want)
	}
}

// seedInstanceProfile creates a role and an instance profile holding it,
// returning the profile's ARN.
func (e motoEnv) seedInstanceProfile(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(e.cfg)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatalf("create role: %v", err)
	}
	out, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)})
	if err != nil {
		t.Fatalf("create instance profile: %v", err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name),
		RoleName: aws.String(name)}); err != nil {
		t.Fatalf("add role to instance profile: %v", err)
	}
	return aws.ToString(out.InstanceProfile.Arn)
}

func TestEC2DetachInstanceProfileMoto(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	ids, _, _ := env.seedInstances(t, 2, nil)
	arn := env.seedInstanceProfile(t, "web")
	c := ec2.NewFromConfig(env.cfg)
	for _, id := range ids {
		if _, err := c.AssociateIamInstanceProfile(ctx, &ec2.AssociateIamInstanceProfileInput{InstanceId: aws.String(id),
			IamInstanceProfile: &ec2types.IamInstanceProfileSpecification{Arn: aws.String(arn)}}); err != nil {
			t.Fatalf("associate: %v", err)
		}
	}
	a := ec2DetachInstanceProfile{}
	p := params(t, a, nil)
	// A GuardDuty finding names the instance whose credentials left it.
	al := alert.Alert{ID: "gd-1", Resources: []alert.Resource{{Type: "AwsEc2Instance", ID: ids[1], Region: testRegion}}}
	tg := target(t, a, al, p)
	if tg.ID != ids[1] || tg.From != "resource AwsEc2Instance" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	assoc, err := profileAssociations(ctx, c, ids)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := assoc[ids[1]]; ok {
		t.Errorf("%s still has its instance profile", ids[1])
	}
	if _, ok := assoc[ids[0]]; !ok {
		t.Errorf("%s lost its instance profile; only %s was named", ids[0], ids[1])
	}
	want := "aws ec2 associate-iam-instance-profile --instance-id " + ids[1] + " --iam-instance-profile Arn=" + arn + " --region " + testRegion
	if got := a.Undo(plan); got != want {
		t.Errorf("undo = %s\nwant   %s", got, want)
	}
}

func TestEC2SnapshotVolumesMoto(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	ids, _, _ := env.seedInstances(t, 1, nil)
	a := ec2SnapshotVolumes{}
	p := params(t, a, nil)
	al := instanceAlarm(t, ids[0])
	al.ID = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu-pegged"
	tg := target(t, a, al, p)
	if tg.Trigger != al.ID {
		t.Fatalf("target trigger = %q, want the alert id", tg.Trigger)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	vols := volumesOf(env.instances(t, ids...)[0])
	d := plan.Data.(*volumePlan)
	if len(vols) == 0 || len(d.Snapshots) != len(vols) {
		t.Fatalf("snapshots %v of volumes %v: want one per attached volume, taken once", d.Snapshots, vols)
	}
	out, err := ec2.NewFromConfig(env.cfg).DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: d.Snapshots})
	if err != nil || len(out.Snapshots) != len(vols) {
		t.Fatalf("describe snapshots: %v (%d)", err, len(out.Snapshots))
	}
	for _, s := range out.Snapshots {
		tags := ec2Tags(s.Tags)
		if tags[snapshotTriggerTag] != al.ID || tags[snapshotInstanceTag] != ids[0] {
			t.Errorf("snapshot %s tags = %v, want the trigger and the instance", aws.ToString(s.SnapshotId), tags)
		}
	}
	undo := a.Undo(plan)
	if !strings.HasPrefix(undo, "aws ec2 delete-snapshot --snapshot-id "+d.Snapshots[0]) {
		t.Errorf("undo = %s", undo)
	}
}

func TestTruncateTag(t *testing.T) {
	long := strings.Repeat("é", maxEC2TagValue)
	if got := truncateTag(long); len(got) > maxEC2TagValue || !strings.HasSuffix(got, "…") {
		t.Errorf("truncateTag of %d bytes = %d bytes (%q…)", len(long), len(got), got[:10])
	}
	if got := truncateTag("alarm-1"); got != "alarm-1" {
		t.Errorf("truncateTag(short) = %q", got)
	}
}
