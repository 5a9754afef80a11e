package sweep

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

// Size of the account the posture benchmark sweeps: 1 000 resources.
const (
	benchGroups    = 400
	benchBuckets   = 300
	benchInstances = 300
)

var (
	benchSeedOnce sync.Once
	benchSeedErr  error
)

// seedThousand fills moto with 400 security groups (one in ten open on SSH),
// 300 buckets (none with a public access block) and 300
// instances, plus a few users with keys.
func seedThousand(b *testing.B, m *awstest.Moto) {
	benchSeedOnce.Do(func() {
		m.Reset()
		ctx := b.Context()
		cfg := m.Config(ctx)
		e, s, i := ec2.NewFromConfig(cfg), s3.NewFromConfig(cfg), iam.NewFromConfig(cfg)
		for n := range benchGroups {
			g, err := e.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("g%03d", n)), Description: aws.String("bench")})
			if err != nil {
				benchSeedErr = err
				return
			}
			if n%10 == 0 {
				if _, err := e.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
					IpPermissions: []ec2types.IpPermission{tcp(22, 22, "0.0.0.0/0")}}); err != nil {
					benchSeedErr = err
					return
				}
			}
		}
		for n := range benchBuckets {
			name := fmt.Sprintf("bench-bucket-%03d", n)
			if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
				benchSeedErr = err
				return
			}
		}
		for n := 0; n < benchInstances; n += 50 {
			if _, err := e.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(50), MaxCount: aws.Int32(50)}); err != nil {
				benchSeedErr = err
				return
			}
		}
		for n := range 5 {
			u := aws.String(fmt.Sprintf("user%d", n))
			if _, err := i.CreateUser(ctx, &iam.CreateUserInput{UserName: u}); err != nil {
				benchSeedErr = err
				return
			}
			if _, err := i.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: u}); err != nil {
				benchSeedErr = err
				return
			}
		}
	})
	if benchSeedErr != nil {
		b.Fatal(benchSeedErr)
	}
}

// BenchmarkPostureSweepThousandResources is the whole posture job (resource
// and account checks) over a moto account of 1 000 resources; moto's
// answers, not the checks, dominate. Run with -benchtime=3x.
func BenchmarkPostureSweepThousandResources(b *testing.B) {
	m := moto.Get(b)
	seedThousand(b, m)
	cfg := m.Config(b.Context())
	e := ec2.NewFromConfig(cfg)
	pc := PostureClients{EC2: e, S3: s3.NewFromConfig(cfg), CloudTrail: cloudtrail.NewFromConfig(cfg), Region: "us-east-1", Account: awstest.AccountID}
	ic := iam.NewFromConfig(cfg)
	job := All(Posture(pc), AccountPosture(AccountClients{IAM: ic, Summary: ic, EBS: e, Region: "us-east-1", Account: awstest.AccountID, Now: time.Now}))
	var findings int
	for b.Loop() {
		fs, err := job(b.Context(), &alert.JobRequest{Job: JobPosture})
		if err != nil {
			b.Fatal(err)
		}
		findings = len(fs)
	}
	// 40 open groups, 300 buckets without a block, no trail, root without MFA, EBS default encryption off.
	if want := benchGroups/10 + benchBuckets + 3; findings != want {
		b.Errorf("%d findings, want %d", findings, want)
	}
	b.ReportMetric(float64(findings), "findings/op")
}
