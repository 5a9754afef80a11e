package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// deadLetterRetentionDays is the longest SQS keeps a message (14 days), so a
// failed event survives a long weekend plus the time to notice its alarm.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
const deadLetterRetentionDays = 14

// NewDeadLetterQueue creates an SQS queue that catches events a function or a
// rule target could not process: SQS-managed encryption, TLS only, 14-day retention.
func NewDeadLetterQueue(scope constructs.Construct, id string, removal awscdk.RemovalPolicy) awssqs.Queue {
	q := awssqs.NewQueue(scope, jsii.String(id), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(deadLetterRetentionDays)),
		RemovalPolicy:   removal,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(q, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is itself a dead-letter queue (Lambda on-failure destination or EventBridge " +
			"target DLQ). Nothing consumes it automatically, so a second-level DLQ could never receive a message; " +
			"a CloudWatch alarm on ApproximateNumberOfMessagesVisible > 0 pages the operator instead."),
	}}, jsii.Bool(true))
	return q
}
