package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// seeded resets the package's moto and seeds it.
func seeded(t *testing.T) (*awstest.Moto, aws.Config, *Account) {
	t.Helper()
	m := moto.Get(t)
	m.Reset()
	cfg := m.Config(t.Context())
	acct, err := Seed(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, cfg, acct
}

func tagsOf(tags []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestSeedCreatesTheDemoAccount(t *testing.T) {
	_, cfg, acct := seeded(t)
	ctx := t.Context()
	if acct.AccountID != awstest.AccountID || acct.Region != awstest.Region {
		t.Errorf("account %s/%s, want %s/%s", acct.AccountID, acct.Region, awstest.AccountID, awstest.Region)
	}
	ec := ec2.NewFromConfig(cfg)

	t.Run("network", func(t *testing.T) {
		sub, err := ec.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{acct.SubnetID}})
		if err != nil || len(sub.Subnets) != 1 {
			t.Fatalf("subnet %s: %v", acct.SubnetID, err)
		}
		if got := aws.ToString(sub.Subnets[0].VpcId); got != acct.VPCID {
			t.Errorf("subnet in %s, want %s", got, acct.VPCID)
		}
	})

	t.Run("instances", func(t *testing.T) {
		out, err := ec.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: acct.InstanceIDs})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				tags := tagsOf(in.Tags)
				names = append(names, tags["Name"])
				if tags[AlarmsTagKey] != "web" {
					t.Errorf("%s: %s = %q, want web", aws.ToString(in.InstanceId), AlarmsTagKey, tags[AlarmsTagKey])
				}
				if aws.ToString(in.SubnetId) != acct.SubnetID {
					t.Errorf("%s in subnet %s, want %s", aws.ToString(in.InstanceId), aws.ToString(in.SubnetId), acct.SubnetID)
				}
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, DemoInstanceNames) {
			t.Errorf("instance names = %v, want %v", names, DemoInstanceNames)
		}
	})

	t.Run("auto scaling group", func(t *testing.T) {
		out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{
			AutoScalingGroupNames: []string{DemoASG},
		})
		if err != nil || len(out.AutoScalingGroups) != 1 {
			t.Fatalf("describe %s: %v (%d groups)", DemoASG, err, len(out.AutoScalingGroups))
		}
		g := out.AutoScalingGroups[0]
		if aws.ToInt32(g.MinSize) != 1 || aws.ToInt32(g.MaxSize) != 6 || aws.ToInt32(g.DesiredCapacity) != 2 {
			t.Errorf("min/max/desired = %d/%d/%d, want 1/6/2", aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), aws.ToInt32(g.DesiredCapacity))
		}
		if g.LaunchTemplate == nil || aws.ToString(g.LaunchTemplate.LaunchTemplateId) != acct.LaunchTemplateID {
			t.Errorf("launch template = %+v, want %s", g.LaunchTemplate, acct.LaunchTemplateID)
		}
		lt, err := ec.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateIds: []string{acct.LaunchTemplateID}})
		if err != nil || len(lt.LaunchTemplates) != 1 || aws.ToString(lt.LaunchTemplates[0].LaunchTemplateName) != DemoLaunchTemplate {
			t.Errorf("launch template %s: %v", acct.LaunchTemplateID, err)
		}
	})

	t.Run("security groups open to the world", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			id   string
			port int32
		}{{DemoSSHGroup, acct.SSHSecurityGroupID, 22}, {DemoRDPGroup, acct.RDPSecurityGroupID, 3389}} {
			out, err := ec.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{tt.id}})
			if err != nil || len(out.SecurityGroups) != 1 {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got := aws.ToString(out.SecurityGroups[0].GroupName); got != tt.name {
				t.Errorf("%s is named %s", tt.id, got)
			}
			open, err := IngressOpenToWorld(ctx, ec, tt.id, tt.port)
			if err != nil || !open {
				t.Errorf("%s open to %s on %d = %v, %v; want true", tt.name, WorldCIDR, tt.port, open, err)
			}
			other := int32(443)
			if open, _ := IngressOpenToWorld(ctx, ec, tt.id, other); open {
				t.Errorf("%s unexpectedly open on %d", tt.name, other)
			}
		}
	})

	t.Run("public bucket", func(t *testing.T) {
		c := s3.NewFromConfig(cfg)
		pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(DemoPublicBucket)})
		if err != nil {
			t.Fatal(err)
		}
		var doc policyDoc
		if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Statement) != 1 || doc.Statement[0].Principal != "*" || doc.Statement[0].Action != "s3:GetObject" || doc.Statement[0].Effect != "Allow" {
			t.Errorf("policy = %+v, want public s3:GetObject", doc)
		}
		_, err = c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(DemoPublicBucket)})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "NoSuchPublicAccessBlockConfiguration" {
			t.Errorf("public access block: err = %v, want NoSuchPublicAccessBlockConfiguration", err)
		}
	})

	t.Run("trail", func(t *testing.T) {
		c := cloudtrail.NewFromConfig(cfg)
		st, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(DemoTrail)})
		if err != nil {
			t.Fatal(err)
		}
		if !aws.ToBool(st.IsLogging) {
			t.Error("trail is not logging")
		}
		tr, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(DemoTrail)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(tr.Trail.S3BucketName) != DemoTrailBucket || aws.ToString(tr.Trail.TrailARN) != acct.TrailARN {
			t.Errorf("trail = bucket %s arn %s; want %s %s", aws.ToString(tr.Trail.S3BucketName), aws.ToString(tr.Trail.TrailARN), DemoTrailBucket, acct.TrailARN)
		}
		if _, err := s3.NewFromConfig(cfg).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(DemoTrailBucket)}); err != nil {
			t.Errorf("trail bucket: %v", err)
		}
	})

	t.Run("log group", func(t *testing.T) {
		out, err := cloudwatchlogs.NewFromConfig(cfg).GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String(DemoLogGroup), LogStreamName: aws.String(DemoLogStream), StartFromHead: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		levels := map[string]int{}
		for _, e := range out.Events {
			msg := aws.ToString(e.Message)
			got = append(got, msg)
			levels[strings.Fields(msg)[0]]++
		}
		if !slices.Equal(got, DemoLogLines) {
			t.Errorf("log lines = %q, want %q", got, DemoLogLines)
		}
		if levels["ERROR"] == 0 || levels["WARN"] == 0 {
			t.Errorf("want ERROR and WARN lines, got %v", levels)
		}
	})

	t.Run("state table", func(t *testing.T) {
		c := dynamodb.NewFromConfig(cfg)
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(DemoTable)})
		if err != nil {
			t.Fatal(err)
		}
		keys := func(ks []ddbtypes.KeySchemaElement) []string {
			var s []string
			for _, k := range ks {
				s = append(s, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
			}
			return s
		}
		if got, want := keys(out.Table.KeySchema), []string{state.AttrPK + ":HASH", state.AttrSK + ":RANGE"}; !slices.Equal(got, want) {
			t.Errorf("key schema = %v, want %v", got, want)
		}
		if len(out.Table.GlobalSecondaryIndexes) != 1 {
			t.Fatalf("GSIs = %d, want 1", len(out.Table.GlobalSecondaryIndexes))
		}
		gsi := out.Table.GlobalSecondaryIndexes[0]
		if aws.ToString(gsi.IndexName) != state.IndexByTime {
			t.Errorf("GSI = %s, want %s", aws.ToString(gsi.IndexName), state.IndexByTime)
		}
		if got, want := keys(gsi.KeySchema), []string{state.AttrGSI1PK + ":HASH", state.AttrGSI1SK + ":RANGE"}; !slices.Equal(got, want) {
			t.Errorf("GSI key schema = %v, want %v", got, want)
		}
		ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(DemoTable)})
		if err != nil {
			t.Fatal(err)
		}
		d := ttl.TimeToLiveDescription
		if aws.ToString(d.AttributeName) != state.AttrTTL || d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled {
			t.Errorf("TTL = %s %s, want %s ENABLED", aws.ToString(d.AttributeName), d.TimeToLiveStatus, state.AttrTTL)
		}
	})

	t.Run("event bus", func(t *testing.T) {
		out, err := eventbridge.NewFromConfig(cfg).DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(DemoBus)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Arn) != acct.BusARN || !strings.HasSuffix(acct.BusARN, ":event-bus/"+DemoBus) {
			t.Errorf("bus arn = %s (account says %s)", aws.ToString(out.Arn), acct.BusARN)
		}
	})
}

// Removing the world rule is what the demo shows; IngressOpenToWorld must see it.
func TestIngressOpenToWorldSeesRevocation(t *testing.T) {
	_, cfg, acct := seeded(t)
	ec := ec2.NewFromConfig(cfg)
	ctx := context.Background()
	_, err := ec.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId: aws.String(acct.SSHSecurityGroupID),
		IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
			IpRanges: []ec2types.IpRange{{CidrIp: aws.String(WorldCIDR)}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	open, err := IngressOpenToWorld(ctx, ec, acct.SSHSecurityGroupID, 22)
	if err != nil || open {
		t.Errorf("after revoke: open = %v, %v; want false", open, err)
	}
	if _, err := IngressOpenToWorld(ctx, ec, "sg-00000000000000000", 22); err == nil {
		t.Error("unknown group: no error")
	}
}

func TestPermissionCovers(t *testing.T) {
	perm := func(proto string, from, to int32) ec2types.IpPermission {
		return ec2types.IpPermission{IpProtocol: aws.String(proto), FromPort: aws.Int32(from), ToPort: aws.Int32(to)}
	}
	tests := []struct {
		name string
		p    ec2types.IpPermission
		port int32
		want bool
	}{
		{"exact tcp", perm("tcp", 22, 22), 22, true},
		{"tcp range", perm("tcp", 0, 1024), 22, true},
		{"tcp other port", perm("tcp", 80, 80), 22, false},
		{"all traffic", perm("-1", -1, -1), 3389, true},
		{"udp", perm("udp", 22, 22), 22, false},
		{"protocol number 6", perm("6", 3389, 3389), 3389, true},
	}
	for _, tt := range tests {
		if got := permissionCovers(tt.p, tt.port); got != tt.want {
			t.Errorf("%s: covers(%d) = %v, want %v", tt.name, tt.port, got, tt.want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	acct := &Account{
		AccountID: "123456789012", Region: "us-east-1",
		SSHSecurityGroupID: "sg-1", InstanceIDs: []string{"i-1", "i-2"}, TrailName: DemoTrail,
	}
	tests := []struct {
		in, want string
	}{
		{`{"groupId":"${WK_SG_LEGACY_SSH}"}`, `{"groupId":"sg-1"}`},
		{`{"i":["${WK_INSTANCE_WEB_1}","${WK_INSTANCE_WEB_2}"],"a":"${WK_ACCOUNT_ID}"}`, `{"i":["i-1","i-2"],"a":"123456789012"}`},
		{`{"untouched":"${HOME}","unknown":"${WK_NOPE}"}`, `{"untouched":"${HOME}","unknown":"${WK_NOPE}"}`},
		{`{}`, `{}`},
		// Fixture ids of the sample events become the seeded resources.
		{`{"groupId":"sg-0123456789abcdef0","trail":"arn:aws:cloudtrail:us-east-1:123456789012:trail/watchkeeper-trail"}`,
			`{"groupId":"sg-1","trail":"arn:aws:cloudtrail:us-east-1:123456789012:trail/demo-trail"}`},
		{`{"instanceId":"i-0a1b2c3d4e5f60718","other":"i-0c3d4e5f60718293a"}`, `{"instanceId":"i-1","other":"i-0c3d4e5f60718293a"}`},
	}
	for _, tt := range tests {
		if got := string(acct.Substitute([]byte(tt.in))); got != tt.want {
			t.Errorf("Substitute(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
