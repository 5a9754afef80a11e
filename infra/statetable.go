package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/state"
)

// stateTableActions are the item operations the functions perform. No Scan
// and no table-level administration: every read is by key or on the time index.
var stateTableActions = []string{
	"dynamodb:BatchGetItem",
	"dynamodb:BatchWriteItem",
	"dynamodb:ConditionCheckItem",
	"dynamodb:DeleteItem",
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:Query",
	"dynamodb:UpdateItem",
}

// StateTableProps configure the StateTable.
type StateTableProps struct {
	// RemovalPolicy of the table (retain unless the config says destroy).
	RemovalPolicy awscdk.RemovalPolicy
}

// StateTable is the single DynamoDB table of shared/state: dedup marks,
// silences, counters, audit records and alert state.
type StateTable struct {
	// Table is the DynamoDB table.
	Table awsdynamodb.Table
}

// NewStateTable creates the on-demand table with the key design of shared/state,
// TTL, the by-time index, point-in-time recovery and encryption at rest.
func NewStateTable(scope constructs.Construct, id string, props *StateTableProps) *StateTable {
	c := constructs.NewConstruct(scope, jsii.String(id))
	table := awsdynamodb.NewTable(c, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey:        &awsdynamodb.Attribute{Name: jsii.String(state.AttrPK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:             &awsdynamodb.Attribute{Name: jsii.String(state.AttrSK), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:         awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute: jsii.String(state.AttrTTL),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		Encryption:    awsdynamodb.TableEncryption_AWS_MANAGED,
		RemovalPolicy: props.RemovalPolicy,
	})
	table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
		IndexName:      jsii.String(state.IndexByTime),
		PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(state.AttrGSI1PK), Type: awsdynamodb.AttributeType_STRING},
		SortKey:        &awsdynamodb.Attribute{Name: jsii.String(state.AttrGSI1SK), Type: awsdynamodb.AttributeType_STRING},
		ProjectionType: awsdynamodb.ProjectionType_ALL,
	})
	return &StateTable{Table: table}
}

// GrantReadWrite lets role read and write items of the table and query the
// by-time index, naming the index exactly rather than the CDK's "index/*".
func (s *StateTable) GrantReadWrite(role awsiam.IRole) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:     jsii.String("StateTableReadWrite"),
		Actions: jsii.Strings(stateTableActions...),
		Resources: jsii.Strings(
			*s.Table.TableArn(),
			*s.Table.TableArn()+"/index/"+state.IndexByTime,
		),
	}))
}
