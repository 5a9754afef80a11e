package sweep

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Account posture rule ids.
const (
	RuleAccessKeyOld          = "posture.iam-access-key-old"
	RuleAccessKeyUnused       = "posture.iam-access-key-unused"
	RuleRootAccessKeys        = "posture.root-access-keys"
	RuleRootNoMFA             = "posture.root-no-mfa"
	RuleEBSDefaultEncryption  = "posture.ebs-default-encryption-off"
	RuleGuardDutyOff          = "posture.guardduty-off"
	RuleAlarmInsufficientData = "posture.alarm-insufficient-data"
	RuleSubscriptionMissing   = "posture.detector-subscription-missing"
	RuleSuiteRuleDisabled     = "posture.suite-rule-disabled"
	RuleSuiteRulesMissing     = "posture.suite-rules-missing"
)

// AccessKeyMaxAge is the age past which an access key must be rotated, and
// the idle time past which an unused key must be removed (CIS AWS
// Foundations 1.12 and 1.14).
const AccessKeyMaxAge = 90 * 24 * time.Hour

// JobParamInsufficientDataHours is the posture job input that turns on the
// check for alarms stuck in INSUFFICIENT_DATA and says for how many hours an
// alarm may sit there before it is reported (e.g. 24). Without it the check
// is skipped: it needs CloudWatch, which the local emulator lacks.
const JobParamInsufficientDataHours = "insufficient_data_hours"

type keyInspector interface {
	ListUsers(ctx context.Context, in *iam.ListUsersInput, optFns ...func(*iam.Options)) (*iam.ListUsersOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

type accountSummarizer interface {
	GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
}

type ebsDefaults interface {
	GetEbsEncryptionByDefault(ctx context.Context, in *ec2.GetEbsEncryptionByDefaultInput, optFns ...func(*ec2.Options)) (*ec2.GetEbsEncryptionByDefaultOutput, error)
}

type detectorInspector interface {
	ListDetectors(ctx context.Context, in *guardduty.ListDetectorsInput, optFns ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error)
	GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error)
}

type alarmDescriber interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
}

type subscriptionInspector interface {
	DescribeSubscriptionFilters(ctx context.Context, in *cloudwatchlogs.DescribeSubscriptionFiltersInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeSubscriptionFiltersOutput, error)
}

type ruleLister interface {
	ListRules(ctx context.Context, in *eventbridge.ListRulesInput, optFns ...func(*eventbridge.Options)) (*eventbridge.ListRulesOutput, error)
}

var (
	_ keyInspector          = (*iam.Client)(nil)
	_ accountSummarizer     = (*iam.Client)(nil)
	_ ebsDefaults           = (*ec2.Client)(nil)
	_ detectorInspector     = (*guardduty.Client)(nil)
	_ alarmDescriber        = (*cloudwatch.Client)(nil)
	_ subscriptionInspector = (*cloudwatchlogs.Client)(nil)
	_ ruleLister            = (*eventbridge.Client)(nil)
)

// Suite names what the suite deployed, so the sweep can check its own
// triggers are still wired. Empty fields skip their check.
type Suite struct {
	// TrailLogGroup is the CloudTrail log group the detector subscribes to.
	TrailLogGroup string
	// DetectorARN is the detector function's ARN, the subscription's destination.
	DetectorARN string
	// RulePrefix starts the names of the suite's EventBridge rules.
	RulePrefix string
	// Buses are the event buses the suite's rules live on ("default" and its own).
	Buses []string
}

// AccountClients are the clients of the account-wide posture checks; a nil
// client skips its check.
type AccountClients struct {
	IAM        keyInspector
	Summary    accountSummarizer
	EBS        ebsDefaults
	GuardDuty  detectorInspector
	CloudWatch alarmDescriber
	Logs       subscriptionInspector
	Events     ruleLister
	Suite      Suite
	Region     string
	Account    string
	Now        func() time.Time
}

// AccountPosture returns the account-wide posture checks: access keys,
// root credentials, EBS default encryption, GuardDuty, alarms stuck in
// INSUFFICIENT_DATA, and the suite's own triggers. Every check runs even when
// another fails; their errors are joined.
func AccountPosture(c AccountClients) Job {
	if c.Now == nil {
		c.Now = time.Now
	}
	return func(ctx context.Context, req *alert.JobRequest) ([]Finding, error) {
		stuck, err := insufficientDataAfter(req)
		if err != nil {
			return nil, err
		}
		var all []Finding
		var errs []error
		for _, check := range []func(context.Context) ([]Finding, error){
			c.accessKeys, c.root, c.ebsEncryption, c.guardDuty,
			func(ctx context.Context) ([]Finding, error) { return c.stuckAlarms(ctx, stuck) },
			c.subscription, c.suiteRules,
		} {
			fs, err := check(ctx)
			all = append(all, fs...)
			if err != nil {
				errs = append(errs, err)
			}
		}
		return all, errors.Join(errs...)
	}
}

// insufficientDataAfter reads the job input's threshold for stuck alarms.
func insufficientDataAfter(req *alert.JobRequest) (time.Duration, error) {
	if req == nil || req.Params[JobParamInsufficientDataHours] == nil {
		return 0, nil
	}
	h, ok := req.Params[JobParamInsufficientDataHours].(float64)
	if !ok || h <= 0 {
		return 0, fmt.Errorf("job input %s must be a positive number of hours, got %v", JobParamInsufficientDataHours, req.Params[JobParamInsufficientDataHours])
	}
	return time.Duration(h * float64(time.Hour)), nil
}

func (c AccountClients) accessKeys(ctx context.Context) ([]Finding, error) {
	if c.IAM == nil {
		return nil, nil
	}
	var out []Finding
	now := c.Now()
	users := iam.NewListUsersPaginator(c.IAM, &iam.ListUsersInput{})
	for users.HasMorePages() {
		page, err := users.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list users: %w", err)
		}
		for _, u := range page.Users {
			keys, err := c.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: u.UserName})
			if err != nil {
				return out, fmt.Errorf("list access keys of %s: %w", aws.ToString(u.UserName), err)
			}
			for _, k := range keys.AccessKeyMetadata {
				if k.Status != iamtypes.StatusTypeActive {
					continue
				}
				id, user := aws.ToString(k.AccessKeyId), aws.ToString(u.UserName)
				res := alert.Resource{Type: "AWS::IAM::AccessKey", ID: id, ARN: aws.ToString(u.Arn), Account: c.Account}
				created := aws.ToTime(k.CreateDate)
				if now.Sub(created) > AccessKeyMaxAge {
					out = append(out, Finding{
						Rule: RuleAccessKeyOld, Severity: alert.SeverityMedium,
						Title:       fmt.Sprintf("Access key %s of %s is %d days old", id, user, int(now.Sub(created).Hours()/24)),
						Description: "Keys older than 90 days should be rotated: create a new key, switch to it, deactivate and delete the old one.",
						Resource:    res,
					})
				}
				used, err := c.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
				if err != nil {
					return out, fmt.Errorf("last use of access key %s: %w", id, err)
				}
				last := created
				if used.AccessKeyLastUsed != nil && used.AccessKeyLastUsed.LastUsedDate != nil {
					last = *used.AccessKeyLastUsed.LastUsedDate
				}
				if now.Sub(last) > AccessKeyMaxAge {
					out = append(out, Finding{
						Rule: RuleAccessKeyUnused, Severity: alert.SeverityMedium,
						Title:       fmt.Sprintf("Access key %s of %s unused for %d days", id, user, int(now.Sub(last).Hours()/24)),
						Description: "An active key nobody uses is only a liability: deactivate it, then delete it.",
						Resource:    res,
					})
				}
			}
		}
	}
	return out, nil
}

func (c AccountClients) root(ctx context.Context) ([]Finding, error) {
	if c.Summary == nil {
		return nil, nil
	}
	s, err := c.Summary.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		return nil, fmt.Errorf("get account summary: %w", err)
	}
	res := alert.Resource{Type: "AWS::IAM::Root", ID: "root", ARN: "arn:" + alert.Partition(c.Region) + ":iam::" + c.Account + ":root", Account: c.Account}
	var out []Finding
	if s.SummaryMap[string(iamtypes.SummaryKeyTypeAccountAccessKeysPresent)] > 0 {
		out = append(out, Finding{
			Rule: RuleRootAccessKeys, Severity: alert.SeverityCritical,
			Title:       "The root user has access keys",
			Description: "Root keys cannot be limited by any policy. Delete them and use IAM roles.",
			Resource:    res,
		})
	}
	if s.SummaryMap[string(iamtypes.SummaryKeyTypeAccountMFAEnabled)] == 0 {
		out = append(out, Finding{
			Rule: RuleRootNoMFA, Severity: alert.SeverityHigh,
			Title:       "The root user has no MFA",
			Description: "Anyone with the root password owns the account. Enable a hardware or virtual MFA device for root.",
			Resource:    res,
		})
	}
	return out, nil
}

func (c AccountClients) ebsEncryption(ctx context.Context) ([]Finding, error) {
	if c.EBS == nil {
		return nil, nil
	}
	out, err := c.EBS.GetEbsEncryptionByDefault(ctx, &ec2.GetEbsEncryptionByDefaultInput{})
	if err != nil {
		return nil, fmt.Errorf("get EBS encryption by default: %w", err)
	}
	if aws.ToBool(out.EbsEncryptionByDefault) {
		return nil, nil
	}
	return []Finding{{
		Rule: RuleEBSDefaultEncryption, Severity: alert.SeverityMedium,
		Title:       "EBS encryption by default is off in " + c.Region,
		Description: "New volumes and snapshot copies are created unencrypted unless each request asks. Turn on EBS encryption by default.",
		Resource:    alert.Resource{Type: "AWS::EC2::EBSEncryptionByDefault", ID: c.Region, Region: c.Region, Account: c.Account},
	}}, nil
}

func (c AccountClients) guardDuty(ctx context.Context) ([]Finding, error) {
	if c.GuardDuty == nil {
		return nil, nil
	}
	var ids []string
	p := guardduty.NewListDetectorsPaginator(c.GuardDuty, &guardduty.ListDetectorsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list GuardDuty detectors: %w", err)
		}
		ids = append(ids, page.DetectorIds...)
	}
	for _, id := range ids {
		d, err := c.GuardDuty.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(id)})
		if err != nil {
			return nil, fmt.Errorf("get GuardDuty detector %s: %w", id, err)
		}
		if d.Status == gdtypes.DetectorStatusEnabled {
			return nil, nil
		}
	}
	title := "GuardDuty is off in " + c.Region
	if len(ids) > 0 {
		title = "GuardDuty's detector is disabled in " + c.Region
	}
	return []Finding{{
		Rule: RuleGuardDutyOff, Severity: alert.SeverityHigh,
		Title:       title,
		Description: "Without GuardDuty nobody watches for compromised credentials, crypto-mining or reconnaissance. Enable a detector.",
		Resource:    alert.Resource{Type: "AWS::GuardDuty::Detector", ID: c.Region, Region: c.Region, Account: c.Account},
	}}, nil
}

func (c AccountClients) stuckAlarms(ctx context.Context, after time.Duration) ([]Finding, error) {
	if c.CloudWatch == nil || after <= 0 {
		return nil, nil
	}
	var out []Finding
	now := c.Now()
	p := cloudwatch.NewDescribeAlarmsPaginator(c.CloudWatch, &cloudwatch.DescribeAlarmsInput{
		StateValue: cwtypes.StateValueInsufficientData,
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm, cwtypes.AlarmTypeCompositeAlarm},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe alarms in INSUFFICIENT_DATA: %w", err)
		}
		add := func(name, arn string, since *time.Time) {
			if since == nil || now.Sub(*since) <= after {
				return
			}
			out = append(out, Finding{
				Rule: RuleAlarmInsufficientData, Severity: alert.SeverityLow,
				Title:       fmt.Sprintf("Alarm %s has had insufficient data for %d hours", name, int(now.Sub(*since).Hours())),
				Description: "The alarm watches nothing: its metric, dimensions or resource are probably wrong or gone. An alarm without data never fires.",
				Resource:    alert.Resource{Type: "AWS::CloudWatch::Alarm", ID: name, ARN: arn, Region: c.Region, Account: c.Account},
			})
		}
		for _, a := range page.MetricAlarms {
			add(aws.ToString(a.AlarmName), aws.ToString(a.AlarmArn), a.StateUpdatedTimestamp)
		}
		for _, a := range page.CompositeAlarms {
			add(aws.ToString(a.AlarmName), aws.ToString(a.AlarmArn), a.StateUpdatedTimestamp)
		}
	}
	return out, nil
}

func (c AccountClients) subscription(ctx context.Context) ([]Finding, error) {
	s := c.Suite
	if c.Logs == nil || s.TrailLogGroup == "" || s.DetectorARN == "" {
		return nil, nil
	}
	p := cloudwatchlogs.NewDescribeSubscriptionFiltersPaginator(c.Logs, &cloudwatchlogs.DescribeSubscriptionFiltersInput{LogGroupName: aws.String(s.TrailLogGroup)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe subscription filters of %s: %w", s.TrailLogGroup, err)
		}
		for _, f := range page.SubscriptionFilters {
			if aws.ToString(f.DestinationArn) == s.DetectorARN {
				return nil, nil
			}
		}
	}
	return []Finding{{
		Rule: RuleSubscriptionMissing, Severity: alert.SeverityCritical,
		Title:       "CloudTrail records no longer reach the detector: log group " + s.TrailLogGroup + " has no subscription to it",
		Description: "The subscription filter was deleted or changed, so suspicious API calls go unseen. Redeploy the stack to restore it.",
		Resource:    alert.Resource{Type: "AWS::Logs::SubscriptionFilter", ID: s.TrailLogGroup, Region: c.Region, Account: c.Account},
	}}, nil
}

func (c AccountClients) suiteRules(ctx context.Context) ([]Finding, error) {
	s := c.Suite
	if c.Events == nil || s.RulePrefix == "" {
		return nil, nil
	}
	var out []Finding
	found := 0
	for _, bus := range s.Buses {
		p := &eventbridge.ListRulesInput{NamePrefix: aws.String(s.RulePrefix), EventBusName: aws.String(bus)}
		for {
			page, err := c.Events.ListRules(ctx, p)
			if err != nil {
				return out, fmt.Errorf("list rules %s* on bus %s: %w", s.RulePrefix, bus, err)
			}
			for _, r := range page.Rules {
				found++
				if r.State == ebtypes.RuleStateEnabled {
					continue
				}
				out = append(out, Finding{
					Rule: RuleSuiteRuleDisabled, Severity: alert.SeverityHigh,
					Title:       fmt.Sprintf("Watchkeeper rule %s on bus %s is %s", aws.ToString(r.Name), bus, r.State),
					Description: "The events this rule routes no longer reach the suite. Enable it again (or redeploy the stack).",
					Resource:    alert.Resource{Type: "AWS::Events::Rule", ID: aws.ToString(r.Name), ARN: aws.ToString(r.Arn), Region: c.Region, Account: c.Account},
				})
			}
			if aws.ToString(page.NextToken) == "" {
				break
			}
			p.NextToken = page.NextToken
		}
	}
	if found == 0 && len(s.Buses) > 0 {
		out = append(out, Finding{
			Rule: RuleSuiteRulesMissing, Severity: alert.SeverityHigh,
			Title:       "No Watchkeeper rule named " + s.RulePrefix + "* exists",
			Description: "The suite's EventBridge rules were deleted: its own findings and resource events go nowhere. Redeploy the stack.",
			Resource:    alert.Resource{Type: "AWS::Events::Rule", ID: s.RulePrefix, Region: c.Region, Account: c.Account},
		})
	}
	return out, nil
}

// All runs jobs one after another as one job: their findings together, their
// errors joined; one failing does not stop the others.
func All(jobs ...Job) Job {
	return func(ctx context.Context, req *alert.JobRequest) ([]Finding, error) {
		var all []Finding
		var errs []error
		for _, j := range jobs {
			fs, err := j(ctx, req)
			all = append(all, fs...)
			if err != nil {
				errs = append(errs, err)
			}
		}
		return all, errors.Join(errs...)
	}
}
