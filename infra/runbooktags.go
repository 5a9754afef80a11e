package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/evidence"
)

// maxAlarmTagValueLen is the longest value a CloudWatch alarm tag holds.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Tag.html
const maxAlarmTagValueLen = 256

// tagRunbook tags an alarm of the stack with its configured runbook
// (evidence.RunbookTag), so the notifier finds the same link from the tags
// as from the description's "runbook:" line. Tags the config sets itself
// (runbook or watchkeeper:runbook) are left alone, and a URL longer than a
// tag value holds stays in the description only.
func tagRunbook(alarm constructs.IConstruct, runbook string, tags map[string]string) {
	if runbook == "" || len(runbook) > maxAlarmTagValueLen {
		return
	}
	if _, ok := tags[evidence.RunbookTag]; ok {
		return
	}
	if _, ok := tags[evidence.RunbookTagWatchkeeper]; ok {
		return
	}
	awscdk.Tags_Of(alarm).Add(jsii.String(evidence.RunbookTag), jsii.String(runbook), nil)
}

// notifierRunbookTagsGrant lets the notifier read the tags of the alarms of
// its account and region, where evidence.RunbookTags looks for a runbook.
func notifierRunbookTagsGrant(env arnEnv) grant {
	return grant{
		Sid:       "ReadAlarmRunbookTags",
		Actions:   []string{"cloudwatch:ListTagsForResource"},
		Resources: []string{"arn:" + env.Partition + ":cloudwatch:" + env.Region + ":" + env.Account + ":alarm:*"},
		Wildcards: map[string]string{
			`/^Resource::arn:.+:cloudwatch:.+:alarm:\*$/`: "The notifier reads the runbook tag of whichever alarm " +
				"triggered it, including alarms created outside this stack; the grant is read-only and limited to " +
				"alarms of this account and region.",
		},
	}
}
