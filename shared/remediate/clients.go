package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// EC2API is the part of the EC2 client the actions call.
type EC2API interface {
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	RevokeSecurityGroupIngress(ctx context.Context, in *ec2.RevokeSecurityGroupIngressInput, optFns ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
}

// AutoScalingAPI is the part of the Auto Scaling client the actions call.
type AutoScalingAPI interface {
	DescribeAutoScalingGroups(ctx context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
	SetDesiredCapacity(ctx context.Context, in *autoscaling.SetDesiredCapacityInput, optFns ...func(*autoscaling.Options)) (*autoscaling.SetDesiredCapacityOutput, error)
}

// CloudTrailAPI is the part of the CloudTrail client the actions call.
type CloudTrailAPI interface {
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
}

// S3API is the part of the S3 client the actions call.
type S3API interface {
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, optFns ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

// IAMAPI is the part of the IAM client the actions call.
type IAMAPI interface {
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
}

var (
	_ EC2API         = (*ec2.Client)(nil)
	_ AutoScalingAPI = (*autoscaling.Client)(nil)
	_ CloudTrailAPI  = (*cloudtrail.Client)(nil)
	_ S3API          = (*s3.Client)(nil)
	_ IAMAPI         = (*iam.Client)(nil)
)

// Clients are the SDK clients actions act through. A nil client makes the
// actions that need it fail with ErrMissingClient.
type Clients struct {
	// Region the clients call; a target in another region is skipped.
	Region      string
	EC2         EC2API
	AutoScaling AutoScalingAPI
	CloudTrail  CloudTrailAPI
	S3          S3API
	IAM         IAMAPI
}

// NewClients builds every client from one SDK config (built once per
// container in main).
func NewClients(cfg aws.Config) Clients {
	return Clients{
		Region:      cfg.Region,
		EC2:         ec2.NewFromConfig(cfg),
		AutoScaling: autoscaling.NewFromConfig(cfg),
		CloudTrail:  cloudtrail.NewFromConfig(cfg),
		S3:          s3.NewFromConfig(cfg),
		IAM:         iam.NewFromConfig(cfg),
	}
}

func missing(service string) error {
	return fmt.Errorf("%w: no %s client configured", ErrMissingClient, service)
}
