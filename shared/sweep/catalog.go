package sweep

import (
	"fmt"
	"slices"
	"strings"
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
}

// Catalog lists the jobs this build of the sweeper runs, sorted by name.
func Catalog() []JobSpec {
	return []JobSpec{
		{Name: JobHeartbeat, Description: "emit the Watchkeeper/Heartbeat metric (EMF log line)"},
		{Name: JobPosture, Description: "security groups open to the world on admin ports, buckets without a public access block, trails",
			Permissions: []string{
				"cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus",
				"ec2:DescribeSecurityGroups",
				"s3:GetBucketPublicAccessBlock", "s3:ListAllMyBuckets",
			}},
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
