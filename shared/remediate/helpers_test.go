package remediate

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/state"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

var moto awstest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	_ = moto.Close()
	os.Exit(code)
}

// testRegion is the region of the sample events in events/remediator.
const testRegion = "eu-west-1"

// motoEnv is a fresh (reset) moto with an SDK config in testRegion.
type motoEnv struct {
	m   *awstest.Moto
	cfg aws.Config
}

func startMoto(t testing.TB) motoEnv {
	t.Helper()
	m := moto.Get(t)
	m.Reset()
	cfg := m.Config(context.Background())
	cfg.Region = testRegion
	return motoEnv{m: m, cfg: cfg}
}

func (e motoEnv) clients() Clients { return NewClients(e.cfg) }

// seedGroup creates a security group in a new VPC with the given ingress
// and tags, returning its id.
func (e motoEnv) seedGroup(t testing.TB, perms []ec2types.IpPermission, tags map[string]string) string {
	t.Helper()
	ctx := context.Background()
	c := ec2.NewFromConfig(e.cfg)
	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("create vpc: %v", err)
	}
	in := &ec2.CreateSecurityGroupInput{GroupName: aws.String("wk-test"), Description: aws.String("test"), VpcId: vpc.Vpc.VpcId}
	if len(tags) > 0 {
		spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeSecurityGroup}
		for k, v := range tags {
			spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []ec2types.TagSpecification{spec}
	}
	g, err := c.CreateSecurityGroup(ctx, in)
	if err != nil {
		t.Fatalf("create security group: %v", err)
	}
	if len(perms) > 0 {
		if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: perms}); err != nil {
			t.Fatalf("authorize ingress: %v", err)
		}
	}
	return aws.ToString(g.GroupId)
}

// ingress returns the group's ingress permissions as moto now has them.
func (e motoEnv) ingress(t testing.TB, id string) []ec2types.IpPermission {
	t.Helper()
	out, err := ec2.NewFromConfig(e.cfg).DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil || len(out.SecurityGroups) != 1 {
		t.Fatalf("describe %s: %v (%d groups)", id, err, len(out.SecurityGroups))
	}
	return out.SecurityGroups[0].IpPermissions
}

// seedASG creates an Auto Scaling group with the given capacity and tags.
func (e motoEnv) seedASG(t testing.TB, name string, minSize, desired, maxSize int32, tags map[string]string) {
	t.Helper()
	ctx := context.Background()
	c := autoscaling.NewFromConfig(e.cfg)
	lc := name + "-lc"
	if _, err := c.CreateLaunchConfiguration(ctx, &autoscaling.CreateLaunchConfigurationInput{
		LaunchConfigurationName: aws.String(lc), ImageId: aws.String("ami-12c6146b"), InstanceType: aws.String("t3.micro"),
	}); err != nil {
		t.Fatalf("create launch configuration: %v", err)
	}
	in := &autoscaling.CreateAutoScalingGroupInput{
		AutoScalingGroupName: aws.String(name), LaunchConfigurationName: aws.String(lc),
		MinSize: aws.Int32(minSize), MaxSize: aws.Int32(maxSize), DesiredCapacity: aws.Int32(desired),
		AvailabilityZones: []string{testRegion + "a"},
	}
	for k, v := range tags {
		in.Tags = append(in.Tags, astypesTag(name, k, v))
	}
	if _, err := c.CreateAutoScalingGroup(ctx, in); err != nil {
		t.Fatalf("create auto scaling group: %v", err)
	}
}

func astypesTag(group, k, v string) astypes.Tag {
	return astypes.Tag{Key: aws.String(k), Value: aws.String(v), ResourceId: aws.String(group),
		ResourceType: aws.String("auto-scaling-group"), PropagateAtLaunch: aws.Bool(false)}
}

// desired returns the group's desired capacity as moto now has it.
func (e motoEnv) desired(t testing.TB, name string) int32 {
	t.Helper()
	g, err := describeASG(context.Background(), autoscaling.NewFromConfig(e.cfg), name)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToInt32(g.DesiredCapacity)
}

// seedTrail creates a trail (and its bucket), logging or not.
func (e motoEnv) seedTrail(t testing.TB, name string, logging bool) string {
	t.Helper()
	ctx := context.Background()
	bucket := name + "-logs"
	e.seedBucket(t, bucket, nil)
	c := cloudtrail.NewFromConfig(e.cfg)
	out, err := c.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: aws.String(bucket)})
	if err != nil {
		t.Fatalf("create trail: %v", err)
	}
	if logging {
		if _, err := c.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(name)}); err != nil {
			t.Fatalf("start logging: %v", err)
		}
	}
	return aws.ToString(out.TrailARN)
}

func (e motoEnv) trailLogging(t testing.TB, name string) bool {
	t.Helper()
	on, err := trailLogging(context.Background(), cloudtrail.NewFromConfig(e.cfg), name)
	if err != nil {
		t.Fatal(err)
	}
	return on
}

// seedBucket creates a bucket in testRegion with tags.
func (e motoEnv) seedBucket(t testing.TB, name string, tags map[string]string) {
	t.Helper()
	ctx := context.Background()
	c := s3.NewFromConfig(e.cfg)
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{
		Bucket:                    aws.String(name),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(testRegion)},
	}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	if len(tags) > 0 {
		var set []s3types.Tag
		for k, v := range tags {
			set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		if _, err := c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(name), Tagging: &s3types.Tagging{TagSet: set}}); err != nil {
			t.Fatalf("tag bucket %s: %v", name, err)
		}
	}
}

func (e motoEnv) publicAccess(t testing.TB, bucket string) (publicAccess, bool) {
	t.Helper()
	p, existed, err := readPublicAccess(context.Background(), s3.NewFromConfig(e.cfg), bucket)
	if err != nil {
		t.Fatal(err)
	}
	return p, existed
}

// seedKey creates an IAM user with one access key and returns the key id.
func (e motoEnv) seedKey(t testing.TB, user string) string {
	t.Helper()
	ctx := context.Background()
	c := iam.NewFromConfig(e.cfg)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatalf("create user: %v", err)
	}
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatalf("create access key: %v", err)
	}
	return aws.ToString(out.AccessKey.AccessKeyId)
}

func (e motoEnv) keyStatus(t testing.TB, user, key string) string {
	t.Helper()
	st, err := keyStatus(context.Background(), iam.NewFromConfig(e.cfg), user, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(st)
}

// seedTable creates the state table with the shared/state key design and
// returns a Store over it.
func (e motoEnv) seedTable(t testing.TB, name string) (*state.Store, *dynamodb.Client) {
	t.Helper()
	db := dynamodb.NewFromConfig(e.cfg)
	if err := state.CreateTable(context.Background(), db, name); err != nil {
		t.Fatal(err)
	}
	return state.NewStore(db, name, nil), db
}

// repoRoot is the checkout holding this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// eventFile reads events/<rel>, skipping when it is absent (the samples
// are written alongside this package).
func eventFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "events", filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		t.Skipf("sample event events/%s is absent", rel)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleEvent reads events/remediator/<name>.
func sampleEvent(t testing.TB, name string) []byte {
	t.Helper()
	return eventFile(t, "remediator/"+name)
}

func putPublicAccess(e motoEnv, bucket string, p publicAccess) error {
	_, err := s3.NewFromConfig(e.cfg).PutPublicAccessBlock(context.Background(), &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(bucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(p.BlockPublicAcls), IgnorePublicAcls: aws.Bool(p.IgnorePublicAcls),
			BlockPublicPolicy: aws.Bool(p.BlockPublicPolicy), RestrictPublicBuckets: aws.Bool(p.RestrictPublicBuckets),
		},
	})
	return err
}
