package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/evidence"
)

// notifierLinkGrants are the notifier's permissions for what it links from
// messages: the graph bucket's graphs/ prefix (upload, and read so its
// presigned links work), and the account alias when the config names none.
func notifierLinkGrants(cfg *config.Config, env arnEnv) []grant {
	var grants []grant
	if b := cfg.Notifications.GraphBucket; b != "" {
		grants = append(grants, grant{
			Sid:       "StoreMetricGraphs",
			Actions:   []string{"s3:GetObject", "s3:PutObject"},
			Resources: []string{"arn:" + env.Partition + ":s3:::" + b + "/" + evidence.GraphKeyPrefix + "*"},
			Wildcards: map[string]string{
				`/^Resource::arn:.+:s3:::.+\/graphs\/\*$/`: "Each metric graph is a new object named after its alert and " +
					"time; writing and reading (for the presigned link in the message) are limited to the graphs/ " +
					"prefix of the one bucket notifications.graph_bucket names.",
			},
		})
	}
	if cfg.Deployment.AccountAlias == "" {
		grants = append(grants, grant{
			Sid:       "ReadAccountAlias",
			Actions:   []string{"iam:ListAccountAliases"},
			Resources: []string{"*"},
			Wildcards: map[string]string{
				`/^Resource::\*$/`: "iam:ListAccountAliases supports no resource-level permissions (Service " +
					"Authorization Reference, AWS IAM); the notifier reads the account alias once per container to " +
					"name the account in messages, because deployment.account_alias is not set.",
			},
		})
	}
	return grants
}

// subscribeEmails subscribes each address to the alarm topic by email: the
// seed's basic flow (alarm → SNS → mail) for people who want nothing else.
// SNS mails each address a confirmation link first.
func subscribeEmails(topic awssns.Topic, addrs []string) {
	for _, a := range addrs {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(a), nil))
	}
}
