package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// CloudFormation types of RDS targets.
const (
	dbInstanceType = "AWS::RDS::DBInstance"
	dbSnapshotType = "AWS::RDS::DBSnapshot"
)

// maxRDSIdentifier bounds DB instance and snapshot identifiers (255 for
// snapshots, 63 for instances).
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html
const maxRDSIdentifier = 255

// restoreAttribute is the snapshot attribute listing who may restore it;
// the value "all" makes a manual snapshot public.
// https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html
const (
	restoreAttribute = "restore"
	restoreAll       = "all"
)

func validRDSIdentifier(s string) bool {
	return s != "" && len(s) <= maxRDSIdentifier && !strings.ContainsAny(s, " \t\n/")
}

// rdsTarget finds an RDS resource: the alarm dimension dim (when not ""),
// requestParameters.<param> of an RDS API call, or a resource of types whose
// ARN has the given resource kind (arn:…:rds:…:db:name, …:snapshot:name).
func rdsTarget(a alert.Alert, typ, what, dim, param, arnKind string, types ...string) (Target, error) {
	t := Target{Type: typ, Region: regionOf(a), Account: accountOf(a)}
	if dim != "" {
		if id := dimension(a, dim); validRDSIdentifier(id) {
			t.ID, t.From = id, fromDim+dim
			return t, nil
		}
	}
	if fromEvent(a, "rds.amazonaws.com") {
		if id := requestParam(a, param); validRDSIdentifier(id) {
			t.ID, t.From = id, fromRequest+param
			return t, nil
		}
	}
	for _, r := range a.Resources {
		if !slices.Contains(types, r.Type) {
			continue
		}
		id := r.ID
		if _, name, ok := strings.Cut(r.ARN, ":rds:"); ok {
			if _, n, ok := strings.Cut(name, ":"+arnKind+":"); ok {
				id = n
			}
		}
		if validRDSIdentifier(id) {
			t.ID, t.ARN, t.From = id, r.ARN, fromResource+r.Type
			if r.Region != "" {
				t.Region = r.Region
			}
			return t, nil
		}
	}
	where := []string{"requestParameters." + param + " of RDS API calls", what + " resources"}
	if dim != "" {
		where = append([]string{"alarm dimension " + dim}, where...)
	}
	return Target{}, noTarget(what, where...)
}

func dbInstanceTarget(a alert.Alert) (Target, error) {
	return rdsTarget(a, dbInstanceType, "DB instance", "DBInstanceIdentifier", "dBInstanceIdentifier", "db",
		dbInstanceType, "AwsRdsDbInstance")
}

func rdsTags(tags []rdstypes.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

func describeDBInstance(ctx context.Context, c RDSAPI, id string) (rdstypes.DBInstance, error) {
	out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return rdstypes.DBInstance{}, fmt.Errorf("describe DB instance %s: %w", id, err)
	}
	for _, db := range out.DBInstances {
		if aws.ToString(db.DBInstanceIdentifier) == id || aws.ToString(db.DBInstanceArn) == id {
			return db, nil
		}
	}
	return rdstypes.DBInstance{}, fmt.Errorf("describe DB instance %s: not found", id)
}

// plannedDBInstance describes the DB instance a plan is about: Plan reads
// it, Apply and Verify read it again before changing or checking it.
func plannedDBInstance(ctx context.Context, c Clients, id string) (rdstypes.DBInstance, error) {
	if c.RDS == nil {
		return rdstypes.DBInstance{}, missing("RDS")
	}
	return describeDBInstance(ctx, c.RDS, id)
}

// rdsSnapshotPrivate removes "all" from a manual DB snapshot's restore
// attribute, so only the accounts it was shared with by id can restore it
// (Security Hub RDS.1).
type rdsSnapshotPrivate struct{}

// rdsSnapPlan is rds-snapshot-private's Plan.Data.
type rdsSnapPlan struct {
	Snapshot string
}

func (rdsSnapshotPrivate) Name() string { return "rds-snapshot-private" }

func (rdsSnapshotPrivate) Schema() ParamSchema { return ParamSchema{} }

func (rdsSnapshotPrivate) Permissions() []string {
	return []string{"rds:DescribeDBSnapshots", "rds:DescribeDBSnapshotAttributes", "rds:ModifyDBSnapshotAttribute"}
}

func (rdsSnapshotPrivate) Example() string {
	return `remediation:
  rules:
    - name: unshare-public-db-snapshots
      matchers: ['event_name=ModifyDBSnapshotAttribute']
      action: rds-snapshot-private
      mode: enforce
`
}

// Target takes the snapshot from requestParameters.dBSnapshotIdentifier of
// an RDS API call or a DB snapshot resource of a finding.
func (rdsSnapshotPrivate) Target(a alert.Alert, _ Params) (Target, error) {
	return rdsTarget(a, dbSnapshotType, "DB snapshot", "", "dBSnapshotIdentifier", "snapshot", dbSnapshotType, "AwsRdsDbSnapshot")
}

// dbSnapshotPublic reports whether the snapshot's restore attribute holds "all".
func dbSnapshotPublic(ctx context.Context, c RDSAPI, id string) (bool, error) {
	out, err := c.DescribeDBSnapshotAttributes(ctx, &rds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: aws.String(id)})
	if err != nil {
		return false, fmt.Errorf("describe attributes of DB snapshot %s: %w", id, err)
	}
	if out.DBSnapshotAttributesResult == nil {
		return false, nil
	}
	for _, at := range out.DBSnapshotAttributesResult.DBSnapshotAttributes {
		if aws.ToString(at.AttributeName) == restoreAttribute && slices.Contains(at.AttributeValues, restoreAll) {
			return true, nil
		}
	}
	return false, nil
}

func (r rdsSnapshotPrivate) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.RDS == nil {
		return Plan{}, missing("RDS")
	}
	snaps, err := c.RDS.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(t.ID)})
	if err != nil {
		return Plan{}, fmt.Errorf("describe DB snapshot %s: %w", t.ID, err)
	}
	if len(snaps.DBSnapshots) == 0 {
		return Plan{}, fmt.Errorf("describe DB snapshot %s: not found", t.ID)
	}
	public, err := dbSnapshotPublic(ctx, c.RDS, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: r.Name(), Target: t, Data: &rdsSnapPlan{Snapshot: t.ID}, TagsRead: true, Tags: rdsTags(snaps.DBSnapshots[0].TagList)}
	if !public {
		plan.Summary = fmt.Sprintf("DB snapshot %s is not public", t.ID)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("make DB snapshot %s private (remove %q from who may restore it)", t.ID, restoreAll)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (rdsSnapshotPrivate) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*rdsSnapPlan](p)
	if err != nil {
		return err
	}
	if c.RDS == nil {
		return missing("RDS")
	}
	public, err := dbSnapshotPublic(ctx, c.RDS, d.Snapshot)
	if err != nil || !public {
		return err
	}
	if _, err := c.RDS.ModifyDBSnapshotAttribute(ctx, &rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String(d.Snapshot),
		AttributeName: aws.String(restoreAttribute), ValuesToRemove: []string{restoreAll}}); err != nil {
		return fmt.Errorf("make DB snapshot %s private: %w", d.Snapshot, err)
	}
	return nil
}

func (rdsSnapshotPrivate) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*rdsSnapPlan](p)
	if err != nil {
		return err
	}
	if c.RDS == nil {
		return missing("RDS")
	}
	public, err := dbSnapshotPublic(ctx, c.RDS, d.Snapshot)
	if err != nil {
		return err
	}
	if public {
		return fmt.Errorf("%w: DB snapshot %s is still public", ErrVerify, d.Snapshot)
	}
	return nil
}

func (rdsSnapshotPrivate) Undo(p Plan) string {
	d, err := planData[*rdsSnapPlan](p)
	if err != nil {
		return ""
	}
	return cli(withRegion([]string{"rds", "modify-db-snapshot-attribute", "--db-snapshot-identifier", d.Snapshot,
		"--attribute-name", restoreAttribute, "--values-to-add", restoreAll}, p.Target.Region)...)
}

// rdsInstanceNotPublic turns off a DB instance's public accessibility, so
// its endpoint no longer resolves to a public address (Security Hub RDS.2).
type rdsInstanceNotPublic struct{}

// dbPlan is the Plan.Data of rds-instance-not-public and rds-reboot-instance.
type dbPlan struct {
	Instance string
	// ARN tags the instance (the RDS tagging API takes ARNs only).
	ARN string
	// At is when a reboot was planned; Apply stamps it on the instance.
	At time.Time
}

func (rdsInstanceNotPublic) Name() string { return "rds-instance-not-public" }

func (rdsInstanceNotPublic) Schema() ParamSchema { return ParamSchema{} }

func (rdsInstanceNotPublic) Permissions() []string {
	return []string{"rds:DescribeDBInstances", "rds:ModifyDBInstance"}
}

func (rdsInstanceNotPublic) Example() string {
	return `remediation:
  rules:
    - name: db-not-public
      matchers: ['event_name=~CreateDBInstance|ModifyDBInstance']
      action: rds-instance-not-public
      mode: enforce
`
}

// Target takes the instance from the DBInstanceIdentifier alarm dimension,
// requestParameters.dBInstanceIdentifier, or a DB instance resource.
func (rdsInstanceNotPublic) Target(a alert.Alert, _ Params) (Target, error) {
	return dbInstanceTarget(a)
}

func (r rdsInstanceNotPublic) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	db, err := plannedDBInstance(ctx, c, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: r.Name(), Target: t, Data: &dbPlan{Instance: t.ID, ARN: aws.ToString(db.DBInstanceArn)},
		TagsRead: true, Tags: rdsTags(db.TagList)}
	if !aws.ToBool(db.PubliclyAccessible) {
		plan.Summary = fmt.Sprintf("DB instance %s is not publicly accessible", t.ID)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("make DB instance %s not publicly accessible", t.ID)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (rdsInstanceNotPublic) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*dbPlan](p)
	if err != nil {
		return err
	}
	db, err := plannedDBInstance(ctx, c, d.Instance)
	if err != nil || !aws.ToBool(db.PubliclyAccessible) {
		return err
	}
	if _, err := c.RDS.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(d.Instance),
		PubliclyAccessible: aws.Bool(false), ApplyImmediately: aws.Bool(true)}); err != nil {
		return fmt.Errorf("make DB instance %s not publicly accessible: %w", d.Instance, err)
	}
	return nil
}

func (rdsInstanceNotPublic) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*dbPlan](p)
	if err != nil {
		return err
	}
	db, err := plannedDBInstance(ctx, c, d.Instance)
	if err != nil {
		return err
	}
	if aws.ToBool(db.PubliclyAccessible) {
		return fmt.Errorf("%w: DB instance %s is still publicly accessible", ErrVerify, d.Instance)
	}
	return nil
}

func (rdsInstanceNotPublic) Undo(p Plan) string {
	d, err := planData[*dbPlan](p)
	if err != nil {
		return ""
	}
	return cli(withRegion([]string{"rds", "modify-db-instance", "--db-instance-identifier", d.Instance,
		"--publicly-accessible", "--apply-immediately"}, p.Target.Region)...)
}

// rdsRebootInstance reboots a DB instance (connections exhausted, a stuck
// parameter change). Like ec2-reboot-instances it stamps a tag, so a
// second plan within min_interval_minutes is empty and a flapping alarm
// cannot reboot the database in a loop.
type rdsRebootInstance struct{}

// rdsRebootTag records when Watchkeeper last rebooted a DB instance (RFC 3339).
const rdsRebootTag = "watchkeeper:rebooted-at"

func (rdsRebootInstance) Name() string { return "rds-reboot-instance" }

func (rdsRebootInstance) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "min_interval_minutes", Type: TypeInt, Default: 60,
			Description: "a DB instance Watchkeeper rebooted less than this many minutes ago is not rebooted again"},
		{Name: "force_failover", Type: TypeBool, Default: false,
			Description: "reboot a Multi-AZ instance by failing over to its standby"},
	}, Check: checkMinInterval}
}

func (rdsRebootInstance) Permissions() []string {
	return []string{"rds:DescribeDBInstances", "rds:RebootDBInstance", "rds:AddTagsToResource"}
}

func (rdsRebootInstance) Example() string {
	return `remediation:
  rules:
    - name: reboot-db-on-connection-storm
      matchers: ['alarm=orders-db-connections-max']
      action: rds-reboot-instance
      params:
        min_interval_minutes: 120
`
}

// Target takes the instance from the DBInstanceIdentifier alarm dimension,
// requestParameters.dBInstanceIdentifier, or a DB instance resource.
func (rdsRebootInstance) Target(a alert.Alert, _ Params) (Target, error) { return dbInstanceTarget(a) }

// dbRebootedSince reports whether Watchkeeper's tag says the instance was
// rebooted at or after since.
func dbRebootedSince(db rdstypes.DBInstance, since time.Time) bool {
	at, err := time.Parse(time.RFC3339, rdsTags(db.TagList)[rdsRebootTag])
	return err == nil && !at.Before(since)
}

// dbRebootPlan adds the reboot settings to dbPlan.
type dbRebootPlan struct {
	dbPlan
	Failover bool
}

func (r rdsRebootInstance) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	db, err := plannedDBInstance(ctx, c, t.ID)
	if err != nil {
		return Plan{}, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	since := now.Add(-time.Duration(p.Int("min_interval_minutes")) * time.Minute)
	d := &dbRebootPlan{dbPlan: dbPlan{Instance: t.ID, ARN: aws.ToString(db.DBInstanceArn), At: now}, Failover: p.Bool("force_failover")}
	plan := Plan{Action: r.Name(), Target: t, Data: d, TagsRead: true, Tags: rdsTags(db.TagList)}
	switch st := aws.ToString(db.DBInstanceStatus); {
	case st != "available":
		plan.Summary = fmt.Sprintf("DB instance %s is %s, not available", t.ID, st)
	case dbRebootedSince(db, since):
		plan.Summary = fmt.Sprintf("DB instance %s was rebooted by Watchkeeper in the last %d minutes", t.ID, p.Int("min_interval_minutes"))
	default:
		plan.Summary = "reboot DB instance " + t.ID
		if d.Failover {
			plan.Summary += " with failover"
		}
		plan.Changes = []string{plan.Summary}
	}
	return plan, nil
}

func (rdsRebootInstance) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*dbRebootPlan](p)
	if err != nil {
		return err
	}
	db, err := plannedDBInstance(ctx, c, d.Instance)
	if err != nil || dbRebootedSince(db, d.At) {
		return err
	}
	in := &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(d.Instance)}
	if d.Failover {
		in.ForceFailover = aws.Bool(true)
	}
	if _, err := c.RDS.RebootDBInstance(ctx, in); err != nil {
		return fmt.Errorf("reboot DB instance %s: %w", d.Instance, err)
	}
	if _, err := c.RDS.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(d.ARN),
		Tags: []rdstypes.Tag{{Key: aws.String(rdsRebootTag), Value: aws.String(d.At.Format(time.RFC3339))}}}); err != nil {
		return fmt.Errorf("tag rebooted DB instance %s: %w", d.Instance, err)
	}
	return nil
}

func (rdsRebootInstance) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*dbRebootPlan](p)
	if err != nil {
		return err
	}
	db, err := plannedDBInstance(ctx, c, d.Instance)
	if err != nil {
		return err
	}
	if !dbRebootedSince(db, d.At) {
		return fmt.Errorf("%w: DB instance %s carries no %s tag from this reboot", ErrVerify, d.Instance, rdsRebootTag)
	}
	return nil
}

// Undo cannot take a reboot back; it removes the marker tag, so the next
// trigger may reboot again before min_interval_minutes.
func (rdsRebootInstance) Undo(p Plan) string {
	d, err := planData[*dbRebootPlan](p)
	if err != nil || d.ARN == "" {
		return ""
	}
	return cli(withRegion([]string{"rds", "remove-tags-from-resource", "--resource-name", d.ARN, "--tag-keys", rdsRebootTag},
		p.Target.Region)...)
}
