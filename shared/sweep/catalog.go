package sweep

import (
	"fmt"
	"slices"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Job names the sweeper runs.
const (
	JobPosture   = "posture"
	JobHeartbeat = "heartbeat"
)

// JobSpec declares a job: what it is for and the IAM actions it needs, so
// infra can grant the sweeper exactly what the scheduled jobs use.
type JobSpec struct {
	Name        string
	Description string
	// Permissions are IAM actions; none of them support resource-level scoping
	// for the reads these jobs make, so they are granted on "*".
	Permissions []string
	// TableActions are the state table actions the job needs; the stack
	// grants them on the table (and its index) to the sweeper.
	TableActions []string
	// BusActions are the actions the job needs on the suite's event bus.
	BusActions []string
	// Scoped are actions granted on named resources only.
	Scoped []ScopedPermission
}

// ScopedPermission grants actions on resources given as ARN patterns in
// which ${Partition}, ${Region} and ${Account} stand for the stack's.
type ScopedPermission struct {
	Actions   []string
	Resources []string
}

// Catalog lists the jobs this build of the sweeper runs, sorted by name.
func Catalog() []JobSpec {
	return []JobSpec{
		{Name: JobDigest, Description: "the week's notifications, findings and remediations per account and severity, with a chart of the suite's metrics, to the email channels",
			// ses:SendEmail is granted by infra on the email channels' identities.
			Permissions: []string{"cloudwatch:GetMetricWidgetImage"}},
		{Name: JobHeartbeat, Description: "emit the Watchkeeper/Heartbeat metric (EMF log line)"},
		{Name: JobPosture, Description: "security groups open to the world on admin ports, buckets without a public access block, trails, " +
			"old or unused access keys, root keys and MFA, EBS default encryption, GuardDuty, alarms stuck in INSUFFICIENT_DATA, the suite's own triggers",
			Permissions: []string{
				"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus",
				"ec2:DescribeSecurityGroups",
				"s3:GetBucketPublicAccessBlock", "s3:ListAllMyBuckets",
				"iam:GetAccessKeyLastUsed", "iam:GetAccountSummary", "iam:ListAccessKeys", "iam:ListUsers",
				"ec2:GetEbsEncryptionByDefault",
				"guardduty:GetDetector", "guardduty:ListDetectors",
				"cloudwatch:DescribeAlarms",
				"logs:DescribeSubscriptionFilters",
				"events:ListRules",
			}},
		{Name: JobReconcile, Description: "create and delete the alarms of the alarm profiles for tagged instances and functions",
			// ec2:DescribeInstanceStatus: PutMetricAlarm checks it for alarms on instance status metrics.
			// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
			Permissions: []string{"cloudwatch:DescribeAlarms", "ec2:DescribeInstanceStatus", "ec2:DescribeInstances", "lambda:ListFunctions", "lambda:ListTags"},
			Scoped: []ScopedPermission{{
				Actions:   []string{"cloudwatch:DeleteAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"},
				Resources: []string{"arn:${Partition}:cloudwatch:${Region}:${Account}:alarm:" + config.AutoAlarmPrefix + "*"},
			}}},
		{Name: JobReminders, Description: "repeat reminders of alerts still firing past their repeat_interval, and flushes of due storm groups",
			// The table reads and conditional writes (on the table and its by-time index) and events:PutEvents on
			// the suite's bus, come from the grants every scheduled job has (StateTable.GrantReadWrite, the bus grant).
			TableActions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
			BusActions:   []string{"events:PutEvents"}},
	}
}

// LookupJob returns the spec of a job, or an error listing the jobs there are.
func LookupJob(name string) (JobSpec, error) {
	cat := Catalog()
	if i := slices.IndexFunc(cat, func(j JobSpec) bool { return j.Name == name }); i >= 0 {
		return cat[i], nil
	}
	names := make([]string, len(cat))
	for i, j := range cat {
		names[i] = j.Name
	}
	return JobSpec{}, fmt.Errorf("the sweeper has no job %q in this version (jobs: %s)", name, strings.Join(names, ", "))
}
