package localrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/watchkeeper/watchkeeper/shared/state"
)

// Names of the demo account's resources. Sample events and the local
// profile refer to these; the generated ids are in Account.
const (
	DemoVPCName        = "watchkeeper-demo"
	DemoInstanceType   = "t3.micro"
	DemoLaunchTemplate = "web-lt"
	DemoASG            = "web-asg"
	DemoASGMin         = 1
	DemoASGMax         = 6
	DemoASGDesired     = 2
	DemoSSHGroup       = "legacy-ssh"
	DemoRDPGroup       = "legacy-rdp"
	DemoPublicBucket   = "watchkeeper-demo-public"
	DemoTrail          = "demo-trail"
	DemoTrailBucket    = "watchkeeper-demo-trail-logs"
	DemoLogGroup       = "/app/web"
	DemoLogStream      = "web-1"
	DemoTable          = "watchkeeper-state"
	DemoBus            = "watchkeeper"
	// AlarmsTagKey marks instances whose alarms the suite manages (value: the alarm set).
	AlarmsTagKey = "watchkeeper:alarms"
	// WorldCIDR is "anywhere" in an IPv4 ingress rule.
	WorldCIDR = "0.0.0.0/0"
)

// DemoInstanceNames are the Name tags of the seeded instances, in order.
var DemoInstanceNames = []string{"web-1", "web-2"}

// DemoLogLines are written to DemoLogGroup: a mix the log alarms can match.
// Four WARN lines, as many as the log-alarm sample's datapoint (4.0) counts.
var DemoLogLines = []string{
	`INFO  GET /health 200 3ms`,
	`WARN  upstream slow: GET /api/orders took 2300ms`,
	`ERROR payment gateway timeout order=1042`,
	`INFO  GET /api/orders 200 41ms`,
	`ERROR unhandled exception in /api/cart: NullReference`,
	`WARN  retrying connection to db-primary (attempt 2)`,
	`WARN  connection pool 90% busy (45/50)`,
	`WARN  retrying connection to db-primary (attempt 3)`,
}

// Account is what Seed created: the ids a demo or a test needs.
type Account struct {
	AccountID string
	Region    string
	VPCID     string
	SubnetID  string
	ImageID   string
	// InstanceIDs are the web instances, in DemoInstanceNames order.
	InstanceIDs        []string
	LaunchTemplateID   string
	AutoScalingGroup   string
	SSHSecurityGroupID string
	RDPSecurityGroupID string
	PublicBucket       string
	TrailName          string
	TrailARN           string
	TrailBucket        string
	LogGroup           string
	LogStream          string
	Table              string
	Bus                string
	BusARN             string
	// SeededAt is when Seed finished: after the log lines were written, so
	// an alarm replayed as firing then has them in its window.
	SeededAt time.Time
}

// Placeholders maps the tokens sample events may use for seeded ids (which
// moto generates) to their values; the demo replaces them before invoking.
func (a *Account) Placeholders() map[string]string {
	m := map[string]string{
		"${WK_ACCOUNT_ID}":         a.AccountID,
		"${WK_REGION}":             a.Region,
		"${WK_VPC_ID}":             a.VPCID,
		"${WK_SUBNET_ID}":          a.SubnetID,
		"${WK_IMAGE_ID}":           a.ImageID,
		"${WK_LAUNCH_TEMPLATE_ID}": a.LaunchTemplateID,
		"${WK_ASG}":                a.AutoScalingGroup,
		"${WK_SG_LEGACY_SSH}":      a.SSHSecurityGroupID,
		"${WK_SG_LEGACY_RDP}":      a.RDPSecurityGroupID,
		"${WK_PUBLIC_BUCKET}":      a.PublicBucket,
		"${WK_TRAIL}":              a.TrailName,
		"${WK_TRAIL_ARN}":          a.TrailARN,
		"${WK_TRAIL_BUCKET}":       a.TrailBucket,
		"${WK_LOG_GROUP}":          a.LogGroup,
		"${WK_TABLE}":              a.Table,
		"${WK_BUS_ARN}":            a.BusARN,
	}
	for i, id := range a.InstanceIDs {
		m["${WK_INSTANCE_"+strings.ToUpper(strings.ReplaceAll(DemoInstanceNames[i], "-", "_"))+"}"] = id
	}
	return m
}

// EventFixtureIDs are the fictitious ids and names the sample events use
// (see events/README.md) for resources the demo account has, each mapped to
// the placeholder of the seeded resource. The demo swaps them so that, for
// instance, the remediator revokes the rule of a security group that exists.
var EventFixtureIDs = map[string]string{
	"sg-0123456789abcdef0": "${WK_SG_LEGACY_SSH}",
	"i-0a1b2c3d4e5f60718":  "${WK_INSTANCE_WEB_1}",
	"i-0b2c3d4e5f6071829":  "${WK_INSTANCE_WEB_2}",
	"watchkeeper-trail":    "${WK_TRAIL}",
}

// Substitute replaces every placeholder, and every fixture id of
// EventFixtureIDs, in event with the seeded value. Base64 payloads (encoded
// CloudWatch Logs events) are left as they are.
func (a *Account) Substitute(event []byte) []byte {
	ph := a.Placeholders()
	pairs := make([]string, 0, 2*(len(ph)+len(EventFixtureIDs)))
	for _, k := range slices.Sorted(maps.Keys(ph)) {
		pairs = append(pairs, k, ph[k])
	}
	for _, k := range slices.Sorted(maps.Keys(EventFixtureIDs)) {
		if v, ok := ph[EventFixtureIDs[k]]; ok && v != "" {
			pairs = append(pairs, k, v)
		}
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(event)))
}

// Seed creates the demo account in the endpoint cfg points at (moto): a VPC
// and subnet, two tagged web instances, a launch template and auto scaling
// group, two security groups open to the world (SSH, RDP), a public bucket,
// a logging trail with its bucket, an application log group with some lines,
// the state table with the real key design, and the suite's event bus.
// Run it once on an empty mock.
func Seed(ctx context.Context, cfg aws.Config) (*Account, error) {
	a := &Account{Region: cfg.Region}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("seed: caller identity: %w", err)
	}
	a.AccountID = aws.ToString(id.Account)
	steps := []struct {
		name string
		run  func(context.Context, aws.Config, *Account) error
	}{
		{"network", seedNetwork},
		{"security groups", seedSecurityGroups},
		{"instances", seedInstances},
		{"auto scaling", seedAutoScaling},
		{"public bucket", seedPublicBucket},
		{"trail", seedTrail},
		{"log group", seedLogGroup},
		{"state table", seedTable},
		{"event bus", seedBus},
	}
	for _, s := range steps {
		if err := s.run(ctx, cfg, a); err != nil {
			return nil, fmt.Errorf("seed %s: %w", s.name, err)
		}
	}
	a.SeededAt = time.Now()
	return a, nil
}

func nameTag(name string) []ec2types.Tag {
	return []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}
}

func seedNetwork(ctx context.Context, cfg aws.Config, a *Account) error {
	c := ec2.NewFromConfig(cfg)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{
		CidrBlock: aws.String("10.42.0.0/16"),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeVpc, Tags: nameTag(DemoVPCName),
		}},
	})
	if err != nil {
		return fmt.Errorf("create vpc: %w", err)
	}
	a.VPCID = aws.ToString(vpc.Vpc.VpcId)
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{
		VpcId:            vpc.Vpc.VpcId,
		CidrBlock:        aws.String("10.42.1.0/24"),
		AvailabilityZone: aws.String(cfg.Region + "a"),
		TagSpecifications: []ec2types.TagSpecification{{
			ResourceType: ec2types.ResourceTypeSubnet, Tags: nameTag(DemoVPCName + "-a"),
		}},
	})
	if err != nil {
		return fmt.Errorf("create subnet in %s: %w", a.VPCID, err)
	}
	a.SubnetID = aws.ToString(sub.Subnet.SubnetId)
	imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	if err != nil {
		return fmt.Errorf("describe images: %w", err)
	}
	var ids []string
	for _, im := range imgs.Images {
		ids = append(ids, aws.ToString(im.ImageId))
	}
	if len(ids) == 0 {
		return errors.New("no amazon image to launch from")
	}
	slices.Sort(ids)
	a.ImageID = ids[0]
	return nil
}

func seedSecurityGroups(ctx context.Context, cfg aws.Config, a *Account) error {
	c := ec2.NewFromConfig(cfg)
	open := func(name, desc string, port int32) (string, error) {
		sg, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName:   aws.String(name),
			Description: aws.String(desc),
			VpcId:       aws.String(a.VPCID),
			TagSpecifications: []ec2types.TagSpecification{{
				ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: nameTag(name),
			}},
		})
		if err != nil {
			return "", fmt.Errorf("create %s: %w", name, err)
		}
		gid := aws.ToString(sg.GroupId)
		_, err = c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: sg.GroupId,
			IpPermissions: []ec2types.IpPermission{{
				IpProtocol: aws.String("tcp"),
				FromPort:   aws.Int32(port),
				ToPort:     aws.Int32(port),
				IpRanges:   []ec2types.IpRange{{CidrIp: aws.String(WorldCIDR), Description: aws.String("legacy, anyone")}},
			}},
		})
		if err != nil {
			return "", fmt.Errorf("open %s (%s) on %d: %w", name, gid, port, err)
		}
		return gid, nil
	}
	var err error
	if a.SSHSecurityGroupID, err = open(DemoSSHGroup, "legacy SSH access", 22); err != nil {
		return err
	}
	a.RDPSecurityGroupID, err = open(DemoRDPGroup, "legacy RDP access", 3389)
	return err
}

func seedInstances(ctx context.Context, cfg aws.Config, a *Account) error {
	c := ec2.NewFromConfig(cfg)
	for _, name := range DemoInstanceNames {
		out, err := c.RunInstances(ctx, &ec2.RunInstancesInput{
			ImageId:          aws.String(a.ImageID),
			InstanceType:     ec2types.InstanceType(DemoInstanceType),
			MinCount:         aws.Int32(1),
			MaxCount:         aws.Int32(1),
			SubnetId:         aws.String(a.SubnetID),
			SecurityGroupIds: []string{a.SSHSecurityGroupID},
			TagSpecifications: []ec2types.TagSpecification{{
				ResourceType: ec2types.ResourceTypeInstance,
				Tags: append(nameTag(name),
					ec2types.Tag{Key: aws.String(AlarmsTagKey), Value: aws.String("web")}),
			}},
		})
		if err != nil {
			return fmt.Errorf("run %s: %w", name, err)
		}
		if len(out.Instances) != 1 {
			return fmt.Errorf("run %s: got %d instances", name, len(out.Instances))
		}
		a.InstanceIDs = append(a.InstanceIDs, aws.ToString(out.Instances[0].InstanceId))
	}
	return nil
}

func seedAutoScaling(ctx context.Context, cfg aws.Config, a *Account) error {
	lt, err := ec2.NewFromConfig(cfg).CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String(DemoLaunchTemplate),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{
			ImageId:          aws.String(a.ImageID),
			InstanceType:     ec2types.InstanceType(DemoInstanceType),
			SecurityGroupIds: []string{a.SSHSecurityGroupID},
		},
	})
	if err != nil {
		return fmt.Errorf("create launch template: %w", err)
	}
	a.LaunchTemplateID = aws.ToString(lt.LaunchTemplate.LaunchTemplateId)
	_, err = autoscaling.NewFromConfig(cfg).CreateAutoScalingGroup(ctx, &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(DemoASG),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{
			LaunchTemplateId: aws.String(a.LaunchTemplateID),
			Version:          aws.String("$Latest"),
		},
		MinSize:           aws.Int32(DemoASGMin),
		MaxSize:           aws.Int32(DemoASGMax),
		DesiredCapacity:   aws.Int32(DemoASGDesired),
		VPCZoneIdentifier: aws.String(a.SubnetID),
		Tags: []astypes.Tag{{
			Key: aws.String(AlarmsTagKey), Value: aws.String("web"), PropagateAtLaunch: aws.Bool(true),
		}},
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", DemoASG, err)
	}
	a.AutoScalingGroup = DemoASG
	return nil
}

// policyDoc is an IAM policy document.
type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Principal any            `json:"Principal"`
	Action    any            `json:"Action"`
	Resource  any            `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

// createBucketIn builds a CreateBucket request for region: outside
// us-east-1 the region must be named as the location constraint.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
func createBucketIn(bucket, region string) *s3.CreateBucketInput {
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "" && region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	return in
}

func seedPublicBucket(ctx context.Context, cfg aws.Config, a *Account) error {
	c := s3.NewFromConfig(cfg)
	if _, err := c.CreateBucket(ctx, createBucketIn(DemoPublicBucket, cfg.Region)); err != nil {
		return fmt.Errorf("create %s: %w", DemoPublicBucket, err)
	}
	policy, err := json.Marshal(policyDoc{
		Version: "2012-10-17",
		Statement: []policyStatement{{
			Sid: "PublicRead", Effect: "Allow", Principal: "*",
			Action: "s3:GetObject", Resource: "arn:aws:s3:::" + DemoPublicBucket + "/*",
		}},
	})
	if err != nil {
		return err
	}
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(DemoPublicBucket), Policy: aws.String(string(policy))}); err != nil {
		return fmt.Errorf("public-read policy on %s: %w", DemoPublicBucket, err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(DemoPublicBucket), Key: aws.String("index.html"),
		Body: strings.NewReader("<h1>hello from the demo</h1>\n"), ContentType: aws.String("text/html"),
	}); err != nil {
		return fmt.Errorf("put index.html in %s: %w", DemoPublicBucket, err)
	}
	a.PublicBucket = DemoPublicBucket
	return nil
}

func seedTrail(ctx context.Context, cfg aws.Config, a *Account) error {
	c := s3.NewFromConfig(cfg)
	if _, err := c.CreateBucket(ctx, createBucketIn(DemoTrailBucket, cfg.Region)); err != nil {
		return fmt.Errorf("create %s: %w", DemoTrailBucket, err)
	}
	trailARN := fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", a.Region, a.AccountID, DemoTrail)
	// The policy CloudTrail needs on its bucket.
	// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
	policy, err := json.Marshal(policyDoc{
		Version: "2012-10-17",
		Statement: []policyStatement{
			{
				Sid: "AWSCloudTrailAclCheck", Effect: "Allow",
				Principal: map[string]string{"Service": "cloudtrail.amazonaws.com"},
				Action:    "s3:GetBucketAcl", Resource: "arn:aws:s3:::" + DemoTrailBucket,
				Condition: map[string]any{"StringEquals": map[string]string{"aws:SourceArn": trailARN}},
			},
			{
				Sid: "AWSCloudTrailWrite", Effect: "Allow",
				Principal: map[string]string{"Service": "cloudtrail.amazonaws.com"},
				Action:    "s3:PutObject", Resource: "arn:aws:s3:::" + DemoTrailBucket + "/AWSLogs/" + a.AccountID + "/*",
				Condition: map[string]any{"StringEquals": map[string]string{"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trailARN}},
			},
		},
	})
	if err != nil {
		return err
	}
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(DemoTrailBucket), Policy: aws.String(string(policy))}); err != nil {
		return fmt.Errorf("cloudtrail policy on %s: %w", DemoTrailBucket, err)
	}
	ct := cloudtrail.NewFromConfig(cfg)
	out, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{
		Name:                       aws.String(DemoTrail),
		S3BucketName:               aws.String(DemoTrailBucket),
		IsMultiRegionTrail:         aws.Bool(true),
		IncludeGlobalServiceEvents: aws.Bool(true),
		EnableLogFileValidation:    aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", DemoTrail, err)
	}
	if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(DemoTrail)}); err != nil {
		return fmt.Errorf("start logging %s: %w", DemoTrail, err)
	}
	a.TrailName, a.TrailARN, a.TrailBucket = DemoTrail, aws.ToString(out.TrailARN), DemoTrailBucket
	return nil
}

func seedLogGroup(ctx context.Context, cfg aws.Config, a *Account) error {
	c := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(DemoLogGroup)}); err != nil {
		return fmt.Errorf("create %s: %w", DemoLogGroup, err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String(DemoLogGroup), LogStreamName: aws.String(DemoLogStream),
	}); err != nil {
		return fmt.Errorf("create stream %s in %s: %w", DemoLogStream, DemoLogGroup, err)
	}
	// Events must be in time order, within the last 14 days.
	// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
	base := time.Now().Add(-time.Duration(len(DemoLogLines)) * time.Second)
	events := make([]logstypes.InputLogEvent, len(DemoLogLines))
	for i, line := range DemoLogLines {
		events[i] = logstypes.InputLogEvent{
			Message:   aws.String(line),
			Timestamp: aws.Int64(base.Add(time.Duration(i) * time.Second).UnixMilli()),
		}
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(DemoLogGroup), LogStreamName: aws.String(DemoLogStream), LogEvents: events,
	}); err != nil {
		return fmt.Errorf("put log events in %s: %w", DemoLogGroup, err)
	}
	a.LogGroup, a.LogStream = DemoLogGroup, DemoLogStream
	return nil
}

func seedTable(ctx context.Context, cfg aws.Config, a *Account) error {
	if err := state.CreateTable(ctx, dynamodb.NewFromConfig(cfg), DemoTable); err != nil {
		return err
	}
	a.Table = DemoTable
	return nil
}

func seedBus(ctx context.Context, cfg aws.Config, a *Account) error {
	out, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(DemoBus)})
	if err != nil {
		return fmt.Errorf("create %s: %w", DemoBus, err)
	}
	a.Bus, a.BusARN = DemoBus, aws.ToString(out.EventBusArn)
	return nil
}

// securityGroupDescriber is the EC2 call IngressOpenToWorld needs.
type securityGroupDescriber interface {
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

var _ securityGroupDescriber = (*ec2.Client)(nil)

// IngressOpenToWorld reports whether security group groupID lets anyone
// (0.0.0.0/0 or ::/0) reach TCP port, by any rule covering it.
func IngressOpenToWorld(ctx context.Context, api securityGroupDescriber, groupID string, port int32) (bool, error) {
	out, err := api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{groupID}})
	if err != nil {
		return false, fmt.Errorf("describe %s: %w", groupID, err)
	}
	if len(out.SecurityGroups) != 1 {
		return false, fmt.Errorf("describe %s: %d groups found", groupID, len(out.SecurityGroups))
	}
	for _, p := range out.SecurityGroups[0].IpPermissions {
		if !permissionCovers(p, port) {
			continue
		}
		for _, r := range p.IpRanges {
			if aws.ToString(r.CidrIp) == WorldCIDR {
				return true, nil
			}
		}
		for _, r := range p.Ipv6Ranges {
			if aws.ToString(r.CidrIpv6) == "::/0" {
				return true, nil
			}
		}
	}
	return false, nil
}

// permissionCovers reports whether an ingress permission admits TCP port.
func permissionCovers(p ec2types.IpPermission, port int32) bool {
	switch aws.ToString(p.IpProtocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		return aws.ToInt32(p.FromPort) <= port && port <= aws.ToInt32(p.ToPort)
	}
	return false
}
