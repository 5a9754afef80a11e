package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogsdestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// TrailProps configure the Trail.
type TrailProps struct {
	// Create a new multi-region trail; when false, ExistingLogGroupName (if any) is subscribed instead.
	Create bool
	// ExistingLogGroupName is the CloudTrail log group of a trail managed elsewhere.
	ExistingLogGroupName string
	// LogRetention of the created trail's log group.
	LogRetention awslogs.RetentionDays
	// FilterPattern of the subscription filter; empty forwards every record.
	FilterPattern string
	// RemovalPolicy of the buckets and the log group.
	RemovalPolicy awscdk.RemovalPolicy
	// Detector receives the records.
	Detector awslambda.IFunction
}

// Trail streams CloudTrail records to the detector: a trail of its own
// (bucket, access-log bucket, log group) or an existing trail's log group.
type Trail struct {
	// Trail is nil when an existing trail is used.
	Trail awscloudtrail.Trail
	// Bucket holds the trail's log files; nil when an existing trail is used.
	Bucket awss3.Bucket
	// LogGroup receives the records; nil when nothing is subscribed.
	LogGroup awslogs.ILogGroup
	// Subscription forwards records to the detector; nil when nothing is subscribed.
	Subscription awslogs.SubscriptionFilter
}

// NewTrail creates or adopts the trail and subscribes the detector to its log group.
func NewTrail(scope constructs.Construct, id string, props *TrailProps) *Trail {
	c := constructs.NewConstruct(scope, jsii.String(id))
	// Grant S3 log delivery by bucket policy rather than the legacy ACL, so
	// both buckets keep ACLs disabled (BucketOwnerEnforced).
	c.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	t := &Trail{}
	switch {
	case props.Create:
		accessLogs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
			BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			Encryption:        awss3.BucketEncryption_S3_MANAGED,
			EnforceSSL:        jsii.Bool(true),
			Versioned:         jsii.Bool(true),
			ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			RemovalPolicy:     props.RemovalPolicy,
		})

		t.Bucket = awss3.NewBucket(c, jsii.String("Bucket"), &awss3.BucketProps{
			BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
			Encryption:             awss3.BucketEncryption_S3_MANAGED,
			EnforceSSL:             jsii.Bool(true),
			Versioned:              jsii.Bool(true),
			ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
			ServerAccessLogsBucket: accessLogs,
			ServerAccessLogsPrefix: jsii.String("trail-bucket/"),
			RemovalPolicy:          props.RemovalPolicy,
		})
		logGroup := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
			Retention:     props.LogRetention,
			RemovalPolicy: props.RemovalPolicy,
		})
		t.LogGroup = logGroup
		t.Trail = awscloudtrail.NewTrail(c, jsii.String("Trail"), &awscloudtrail.TrailProps{
			Bucket:                     t.Bucket,
			IsMultiRegionTrail:         jsii.Bool(true),
			IncludeGlobalServiceEvents: jsii.Bool(true),
			EnableFileValidation:       jsii.Bool(true),
			ManagementEvents:           awscloudtrail.ReadWriteType_ALL,
			SendToCloudWatchLogs:       jsii.Bool(true),
			CloudWatchLogGroup:         logGroup,
		})
	case props.ExistingLogGroupName != "":
		t.LogGroup = awslogs.LogGroup_FromLogGroupName(c, jsii.String("ExistingLogGroup"), jsii.String(props.ExistingLogGroupName))
	default:
		return t
	}

	pattern := awslogs.FilterPattern_AllEvents()
	if props.FilterPattern != "" {
		pattern = awslogs.FilterPattern_Literal(jsii.String(props.FilterPattern))
	}
	t.Subscription = awslogs.NewSubscriptionFilter(c, jsii.String("ToDetector"), &awslogs.SubscriptionFilterProps{
		LogGroup:      t.LogGroup,
		Destination:   awslogsdestinations.NewLambdaDestination(props.Detector, nil),
		FilterPattern: pattern,
	})
	return t
}
