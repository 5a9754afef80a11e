package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogsdestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
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
	// GlacierAfterDays moves log files to S3 Glacier Flexible Retrieval (0: never).
	GlacierAfterDays int
	// ExpireAfterDays deletes log files (0: keep them).
	ExpireAfterDays int
	// DataEvents the created trail also records.
	DataEvents config.TrailDataEvents
}

// Trail streams CloudTrail records to the detector: a trail of its own
// (bucket, access-log bucket, log group) or an existing trail's log group.
type Trail struct {
	// Trail is nil when an existing trail is used.
	Trail awscloudtrail.Trail
	// Bucket holds the trail's log files; nil when an existing trail is used.
	Bucket awss3.Bucket
	// Key encrypts the log files; nil when an existing trail is used.
	Key awskms.Key
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
			LifecycleRules:         trailLifecycle(props.GlacierAfterDays, props.ExpireAfterDays),
		})
		t.Key = newTrailKey(c, props.RemovalPolicy)
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
			EncryptionKey:              t.Key,
		})
		addDataEvents(c, t.Trail, props.DataEvents)
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

// trailLifecycle keeps log files past CloudTrail's 90-day event history:
// to S3 Glacier Flexible Retrieval after glacierDays, deleted after
// expireDays (each 0 to skip); old versions follow the same expiry.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html
func trailLifecycle(glacierDays, expireDays int) *[]*awss3.LifecycleRule {
	if glacierDays <= 0 && expireDays <= 0 {
		return nil
	}
	rule := &awss3.LifecycleRule{Id: jsii.String("TrailLogRetention"), Enabled: jsii.Bool(true)}
	if glacierDays > 0 {
		rule.Transitions = &[]*awss3.Transition{{
			StorageClass:    awss3.StorageClass_GLACIER(),
			TransitionAfter: awscdk.Duration_Days(jsii.Number(glacierDays)),
		}}
		rule.NoncurrentVersionTransitions = &[]*awss3.NoncurrentVersionTransition{{
			StorageClass:    awss3.StorageClass_GLACIER(),
			TransitionAfter: awscdk.Duration_Days(jsii.Number(glacierDays)),
		}}
	}
	if expireDays > 0 {
		rule.Expiration = awscdk.Duration_Days(jsii.Number(expireDays))
		rule.NoncurrentVersionExpiration = awscdk.Duration_Days(jsii.Number(expireDays))
	}
	return &[]*awss3.LifecycleRule{rule}
}

// cloudTrailPrincipal is the service that writes log files.
const cloudTrailPrincipal = "cloudtrail.amazonaws.com"

// newTrailKey is the customer managed key that encrypts the log files, with
// rotation on and the key policy CloudTrail needs: generate data keys for
// trails of this account only, and describe the key. Reading the logs is
// left to IAM policies (the default statement lets the account delegate).
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
func newTrailKey(scope constructs.Construct, removal awscdk.RemovalPolicy) awskms.Key {
	key := awskms.NewKey(scope, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Watchkeeper CloudTrail log files"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removal,
	})
	account, partition := awscdk.Aws_ACCOUNT_ID(), awscdk.Aws_PARTITION()
	trails := fmt.Sprintf("arn:%s:cloudtrail:*:%s:trail/*", *partition, *account)
	principal := &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(cloudTrailPrincipal), nil)}
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudTrailToEncryptLogs"),
		Principals: principal,
		Actions:    jsii.Strings("kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": account},
			"StringLike":   map[string]any{"kms:EncryptionContext:aws:cloudtrail:arn": trails},
		},
	}), jsii.Bool(false))
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudTrailToDescribeKey"),
		Principals: principal,
		Actions:    jsii.Strings("kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": account}},
	}), jsii.Bool(false))
	return key
}

// addDataEvents adds the configured data event selectors: object-level
// calls on the named buckets, and every function's invokes. Management
// events keep their own selector.
func addDataEvents(scope constructs.Construct, trail awscloudtrail.Trail, de config.TrailDataEvents) {
	if len(de.S3Buckets) > 0 {
		var sel []*awscloudtrail.S3EventSelector
		for i, b := range de.S3Buckets {
			sel = append(sel, &awscloudtrail.S3EventSelector{
				Bucket: awss3.Bucket_FromBucketName(scope, jsii.String(fmt.Sprintf("DataEventBucket%d", i)), jsii.String(b)),
			})
		}
		trail.AddS3EventSelector(&sel, &awscloudtrail.AddEventSelectorOptions{IncludeManagementEvents: jsii.Bool(false)})
	}
	if de.Lambda {
		trail.LogAllLambdaDataEvents(&awscloudtrail.AddEventSelectorOptions{IncludeManagementEvents: jsii.Bool(false)})
	}
}
