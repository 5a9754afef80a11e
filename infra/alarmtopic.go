package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// alarmPublishers are the only principals allowed to publish to the alarm
// topic: CloudWatch alarm actions and EventBridge rule targets.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#Encrypted-SNS
var alarmPublishers = []string{"cloudwatch.amazonaws.com", "events.amazonaws.com"}

// AlarmTopicProps configure the AlarmTopic.
type AlarmTopicProps struct {
	// RemovalPolicy of the topic's KMS key.
	RemovalPolicy awscdk.RemovalPolicy
}

// AlarmTopic is the SNS topic every alarm of the suite notifies, encrypted
// with its own customer managed key.
type AlarmTopic struct {
	// Key encrypts the topic; only the publishing services may use it besides the account.
	Key awskms.Key
	// Topic is the SNS topic.
	Topic awssns.Topic
}

// NewAlarmTopic creates the key and the topic with a policy that lets only
// CloudWatch and EventBridge of this account publish, over TLS.
func NewAlarmTopic(scope constructs.Construct, id string, props *AlarmTopicProps) *AlarmTopic {
	c := constructs.NewConstruct(scope, jsii.String(id))
	account := awscdk.Aws_ACCOUNT_ID()
	sameAccount := &map[string]interface{}{
		"StringEquals": map[string]interface{}{"aws:SourceAccount": account},
	}

	key := awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Watchkeeper alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     props.RemovalPolicy,
	})
	// Publishers must be able to create and read the data keys that encrypt
	// the messages they send; without this, alarm actions fail silently.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlarmPublishersToUseKey"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: servicePrincipals(alarmPublishers),
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: sameAccount,
	}), jsii.Bool(false))

	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Watchkeeper alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowAlarmPublishers"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: servicePrincipals(alarmPublishers),
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: sameAccount,
	}))
	// Identity policies in this account (sns:Publish on "*") would otherwise
	// still reach the topic; only service principals publish to it.
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("DenyPublishExceptByServices"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]interface{}{
			"Bool": map[string]interface{}{"aws:PrincipalIsAWSService": "false"},
		},
	}))
	return &AlarmTopic{Key: key, Topic: topic}
}

// servicePrincipals converts service names to principals.
func servicePrincipals(services []string) *[]awsiam.IPrincipal {
	out := make([]awsiam.IPrincipal, 0, len(services))
	for _, s := range services {
		out = append(out, awsiam.NewServicePrincipal(jsii.String(s), nil))
	}
	return &out
}
