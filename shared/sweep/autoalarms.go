package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// JobReconcile is the job that makes the profiles' alarms match the tagged
// instances and functions.
const JobReconcile = "reconcile"

// Tags every managed alarm carries.
const (
	ManagedByTag   = "managed-by"
	ManagedByValue = "watchkeeper"
	ProfileTag     = "watchkeeper:profile"
)

// maxDeleteAlarms is the most names one DeleteAlarms call takes.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DeleteAlarms.html
const maxDeleteAlarms = 100

// maxDescribeAlarmNames is the most names one DescribeAlarms call takes.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
const maxDescribeAlarmNames = 100

type alarmAPI interface {
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
	DeleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DeleteAlarmsOutput, error)
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

type instanceLister interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
}

type functionLister interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, optFns ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	ListTags(ctx context.Context, in *lambda.ListTagsInput, optFns ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
}

var (
	_ alarmAPI       = (*cloudwatch.Client)(nil)
	_ instanceLister = (*ec2.Client)(nil)
	_ functionLister = (*lambda.Client)(nil)
)

// AutoAlarmClients are what the auto-alarms read and write.
type AutoAlarmClients struct {
	CloudWatch alarmAPI
	EC2        instanceLister
	Lambda     functionLister
	// Region builds the EC2 action ARNs.
	Region string
	// TopicARN is the alarm topic the alarms notify.
	TopicARN string
}

// AutoAlarms keeps the alarms of the config's profiles in step with the
// instances and functions that carry a profile's tag.
type AutoAlarms struct {
	c        AutoAlarmClients
	profiles []config.AlarmProfile
	logger   *slog.Logger
}

// NewAutoAlarms returns the auto-alarms of profiles.
func NewAutoAlarms(c AutoAlarmClients, profiles []config.AlarmProfile, logger *slog.Logger) *AutoAlarms {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &AutoAlarms{c: c, profiles: profiles, logger: logger}
}

// AutoAlarmName is the name of a profile alarm for one resource.
func AutoAlarmName(profile, alarm, resourceID string) string {
	return config.AutoAlarmPrefix + profile + "-" + alarm + "-" + resourceID
}

// ReconcileResult says what a reconcile or state change did.
type ReconcileResult struct {
	Created []string
	Deleted []string
}

// Job returns the reconcile job.
func (a *AutoAlarms) Job() Job {
	return func(ctx context.Context, _ *alert.JobRequest) ([]Finding, error) {
		_, err := a.Reconcile(ctx)
		return nil, err
	}
}

// Desired lists the alarms the tagged resources should have, by name.
func (a *AutoAlarms) Desired(ctx context.Context) (map[string]*cloudwatch.PutMetricAlarmInput, error) {
	want := map[string]*cloudwatch.PutMetricAlarmInput{}
	for _, p := range a.profiles {
		key, value := p.TagPair()
		var ids []string
		var err error
		switch p.Resource {
		case config.ProfileEC2:
			ids, err = a.taggedInstances(ctx, key, value)
		case config.ProfileLambda:
			ids, err = a.taggedFunctions(ctx, key, value)
		default:
			err = fmt.Errorf("profile %s: unknown resource %q", p.Name, p.Resource)
		}
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			for _, in := range a.alarmsFor(p, id) {
				want[aws.ToString(in.AlarmName)] = in
			}
		}
	}
	return want, nil
}

// Reconcile creates the alarms tagged resources lack, re-puts those whose
// settings drifted, and deletes managed alarms no resource wants any more.
func (a *AutoAlarms) Reconcile(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	if len(a.profiles) == 0 {
		return res, nil
	}
	want, err := a.Desired(ctx)
	if err != nil {
		return res, err
	}
	have, err := a.managedAlarms(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if cur, ok := have[name]; ok && sameAlarm(cur, want[name]) {
			continue
		}
		if _, err := a.c.CloudWatch.PutMetricAlarm(ctx, want[name]); err != nil {
			errs = append(errs, fmt.Errorf("put alarm %s: %w", name, err))
			continue
		}
		res.Created = append(res.Created, name)
	}
	var stale []string
	for _, name := range slices.Sorted(maps.Keys(have)) {
		if _, ok := want[name]; !ok {
			stale = append(stale, name)
		}
	}
	deleted, err := a.delete(ctx, stale)
	res.Deleted = deleted
	if err != nil {
		errs = append(errs, err)
	}
	a.logger.Info("auto-alarms reconciled", "wanted", len(want), "existing", len(have), "put", len(res.Created), "deleted", len(res.Deleted))
	return res, errors.Join(errs...)
}

// OnInstanceState creates the alarms of a tagged instance that is running and
// deletes those of a terminated one; other states change nothing.
func (a *AutoAlarms) OnInstanceState(ctx context.Context, instanceID, state string) (ReconcileResult, error) {
	var res ReconcileResult
	var ec2Profiles []config.AlarmProfile
	for _, p := range a.profiles {
		if p.Resource == config.ProfileEC2 {
			ec2Profiles = append(ec2Profiles, p)
		}
	}
	if len(ec2Profiles) == 0 || instanceID == "" {
		return res, nil
	}
	switch state {
	case "running":
		out, err := a.c.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidInstanceID.NotFound" {
			a.logger.Info("instance gone before its alarms were made", "instance", instanceID)
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("describe instance %s: %w", instanceID, err)
		}
		var tags []ec2types.Tag
		for _, r := range out.Reservations {
			for _, in := range r.Instances {
				tags = append(tags, in.Tags...)
			}
		}
		var errs []error
		for _, p := range ec2Profiles {
			key, value := p.TagPair()
			if !slices.ContainsFunc(tags, func(t ec2types.Tag) bool { return aws.ToString(t.Key) == key && aws.ToString(t.Value) == value }) {
				continue
			}
			for _, in := range a.alarmsFor(p, instanceID) {
				if _, err := a.c.CloudWatch.PutMetricAlarm(ctx, in); err != nil {
					errs = append(errs, fmt.Errorf("put alarm %s: %w", aws.ToString(in.AlarmName), err))
					continue
				}
				res.Created = append(res.Created, aws.ToString(in.AlarmName))
			}
		}
		a.logger.Info("instance running", "instance", instanceID, "alarms_put", len(res.Created))
		return res, errors.Join(errs...)
	case "terminated":
		var names []string
		for _, p := range ec2Profiles {
			for _, t := range p.Alarms {
				names = append(names, AutoAlarmName(p.Name, t.Name, instanceID))
			}
		}
		existing, err := a.existing(ctx, names)
		if err != nil {
			return res, err
		}
		res.Deleted, err = a.delete(ctx, existing)
		a.logger.Info("instance terminated", "instance", instanceID, "alarms_deleted", len(res.Deleted))
		return res, err
	}
	return res, nil
}

// OnEvent handles the EC2 state-change events a rule sends the sweeper.
func (a *AutoAlarms) OnEvent(ctx context.Context, trig *alert.Trigger) (ReconcileResult, error) {
	var res ReconcileResult
	var errs []error
	for _, al := range trig.Alerts {
		if al.Labels[alert.LabelDetailType] != "EC2 Instance State-change Notification" {
			return res, fmt.Errorf("the sweeper takes EC2 instance state changes only, not %q events", al.Labels[alert.LabelDetailType])
		}
		r, err := a.OnInstanceState(ctx, al.Labels[alert.LabelResource], al.Labels[alert.LabelStatus])
		res.Created = append(res.Created, r.Created...)
		res.Deleted = append(res.Deleted, r.Deleted...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

func (a *AutoAlarms) taggedInstances(ctx context.Context, key, value string) ([]string, error) {
	var ids []string
	p := ec2.NewDescribeInstancesPaginator(a.c.EC2, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + key), Values: []string{value}},
		// A terminated instance keeps its tags for a while; it wants no alarms.
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances tagged %s=%s: %w", key, value, err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				ids = append(ids, aws.ToString(in.InstanceId))
			}
		}
	}
	return ids, nil
}

func (a *AutoAlarms) taggedFunctions(ctx context.Context, key, value string) ([]string, error) {
	var names []string
	p := lambda.NewListFunctionsPaginator(a.c.Lambda, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list functions: %w", err)
		}
		for _, f := range page.Functions {
			tags, err := a.c.Lambda.ListTags(ctx, &lambda.ListTagsInput{Resource: f.FunctionArn})
			if err != nil {
				return nil, fmt.Errorf("list tags of function %s: %w", aws.ToString(f.FunctionName), err)
			}
			if v, ok := tags.Tags[key]; ok && v == value {
				names = append(names, aws.ToString(f.FunctionName))
			}
		}
	}
	return names, nil
}

// managedAlarms are the metric alarms named with the managed prefix.
func (a *AutoAlarms) managedAlarms(ctx context.Context) (map[string]cwtypes.MetricAlarm, error) {
	have := map[string]cwtypes.MetricAlarm{}
	p := cloudwatch.NewDescribeAlarmsPaginator(a.c.CloudWatch, &cloudwatch.DescribeAlarmsInput{
		AlarmNamePrefix: aws.String(config.AutoAlarmPrefix),
		AlarmTypes:      []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe alarms %s*: %w", config.AutoAlarmPrefix, err)
		}
		for _, m := range page.MetricAlarms {
			have[aws.ToString(m.AlarmName)] = m
		}
	}
	return have, nil
}

// existing returns those of names that exist.
func (a *AutoAlarms) existing(ctx context.Context, names []string) ([]string, error) {
	var out []string
	for chunk := range slices.Chunk(names, maxDescribeAlarmNames) {
		resp, err := a.c.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
			AlarmNames: chunk, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
		})
		if err != nil {
			return out, fmt.Errorf("describe alarms %s: %w", strings.Join(chunk, ", "), err)
		}
		for _, m := range resp.MetricAlarms {
			out = append(out, aws.ToString(m.AlarmName))
		}
	}
	return out, nil
}

func (a *AutoAlarms) delete(ctx context.Context, names []string) ([]string, error) {
	var done []string
	for chunk := range slices.Chunk(names, maxDeleteAlarms) {
		if _, err := a.c.CloudWatch.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: chunk}); err != nil {
			return done, fmt.Errorf("delete alarms %s: %w", strings.Join(chunk, ", "), err)
		}
		done = append(done, chunk...)
	}
	return done, nil
}

// alarmsFor builds the PutMetricAlarm requests of profile p for one resource.
func (a *AutoAlarms) alarmsFor(p config.AlarmProfile, id string) []*cloudwatch.PutMetricAlarmInput {
	out := make([]*cloudwatch.PutMetricAlarmInput, 0, len(p.Alarms))
	for _, t := range p.Alarms {
		dims := []cwtypes.Dimension{{Name: aws.String(config.ProfileDimension(p.Resource)), Value: aws.String(id)}}
		for _, k := range slices.Sorted(maps.Keys(t.Dimensions)) {
			dims = append(dims, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(t.Dimensions[k])})
		}
		tags := []cwtypes.Tag{
			{Key: aws.String(ManagedByTag), Value: aws.String(ManagedByValue)},
			{Key: aws.String(ProfileTag), Value: aws.String(p.Name)},
		}
		for _, k := range slices.Sorted(maps.Keys(t.Tags)) {
			tags = append(tags, cwtypes.Tag{Key: aws.String(k), Value: aws.String(t.Tags[k])})
		}
		in := &cloudwatch.PutMetricAlarmInput{
			AlarmName:          aws.String(AutoAlarmName(p.Name, t.Name, id)),
			AlarmDescription:   aws.String(profileAlarmDescription(t, p.Name, id)),
			Namespace:          aws.String(t.Namespace),
			MetricName:         aws.String(t.Metric),
			Dimensions:         dims,
			Period:             aws.Int32(int32(t.PeriodSeconds)),
			EvaluationPeriods:  aws.Int32(int32(t.EvaluationPeriods)),
			Threshold:          aws.Float64(t.Threshold),
			ComparisonOperator: cwtypes.ComparisonOperator(t.Comparison),
			TreatMissingData:   aws.String(t.TreatMissingData),
			Tags:               tags,
		}
		if t.DatapointsToAlarm > 0 {
			in.DatapointsToAlarm = aws.Int32(int32(t.DatapointsToAlarm))
		}
		switch st := alert.NormalizeStatistic(t.Statistic); st {
		case "Average", "Sum", "Minimum", "Maximum", "SampleCount":
			in.Statistic = cwtypes.Statistic(st)
		default:
			in.ExtendedStatistic = aws.String(st)
		}
		if a.c.TopicARN != "" {
			in.AlarmActions = []string{a.c.TopicARN}
			if t.OKActions == nil || *t.OKActions {
				in.OKActions = []string{a.c.TopicARN}
			}
			if t.InsufficientDataActions {
				in.InsufficientDataActions = []string{a.c.TopicARN}
			}
		}
		if t.EC2Action != "" {
			in.AlarmActions = append(in.AlarmActions, EC2ActionARN(a.c.Region, t.EC2Action))
		}
		out = append(out, in)
	}
	return out
}

// EC2ActionARN is the alarm action that recovers, reboots, stops or
// terminates the alarm's instance.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/UsingAlarmActions.html
func EC2ActionARN(region, action string) string {
	return "arn:" + alert.Partition(region) + ":automate:" + region + ":ec2:" + action
}

// profileAlarmDescription carries the severity and runbook lines the
// notifier reads back from an alarm, like the configured alarms'.
func profileAlarmDescription(t config.MetricAlarm, profile, id string) string {
	suffix := "severity: " + alert.NormalizeSeverity(t.Severity)
	if t.Runbook != "" {
		suffix += "\nrunbook: " + t.Runbook
	}
	desc := strings.TrimSpace(t.Description)
	if desc == "" {
		desc = fmt.Sprintf("%s of %s (alarm profile %s)", t.Name, id, profile)
	}
	room := config.MaxAlarmDescriptionLength - utf8.RuneCountInString(suffix) - 1
	if room < 1 {
		return suffix
	}
	if utf8.RuneCountInString(desc) > room {
		desc = string([]rune(desc)[:room-1]) + "…"
	}
	return desc + "\n" + suffix
}

// sameAlarm reports whether an existing alarm already has the settings the
// request would put, so reconcile leaves it alone.
func sameAlarm(cur cwtypes.MetricAlarm, in *cloudwatch.PutMetricAlarmInput) bool {
	if aws.ToString(cur.Namespace) != aws.ToString(in.Namespace) || aws.ToString(cur.MetricName) != aws.ToString(in.MetricName) ||
		aws.ToFloat64(cur.Threshold) != aws.ToFloat64(in.Threshold) || cur.ComparisonOperator != in.ComparisonOperator ||
		aws.ToInt32(cur.Period) != aws.ToInt32(in.Period) || aws.ToInt32(cur.EvaluationPeriods) != aws.ToInt32(in.EvaluationPeriods) ||
		cur.Statistic != in.Statistic || aws.ToString(cur.ExtendedStatistic) != aws.ToString(in.ExtendedStatistic) ||
		aws.ToString(cur.AlarmDescription) != aws.ToString(in.AlarmDescription) ||
		!slices.Equal(cur.AlarmActions, in.AlarmActions) || !slices.Equal(cur.OKActions, in.OKActions) ||
		len(cur.Dimensions) != len(in.Dimensions) {
		return false
	}
	for i, d := range cur.Dimensions {
		if aws.ToString(d.Name) != aws.ToString(in.Dimensions[i].Name) || aws.ToString(d.Value) != aws.ToString(in.Dimensions[i].Value) {
			return false
		}
	}
	return true
}
