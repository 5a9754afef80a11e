package alert

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// eventBridgeEvent is the EventBridge envelope.
// https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
type eventBridgeEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Detail types handled specially.
const (
	detailTypeScheduled       = "Scheduled Event"
	detailTypeAlarmChange     = "CloudWatch Alarm State Change"
	detailTypeGuardDuty       = "GuardDuty Finding"
	detailTypeSecHubImported  = "Security Hub Findings - Imported"
	detailTypeSecHubCustom    = "Security Hub Findings - Custom Action"
	detailTypeCodeBuild       = "CodeBuild Build State Change"
	detailTypeEC2StateChange  = "EC2 Instance State-change Notification"
	watchkeeperSourcePrefix   = "watchkeeper."
	cloudTrailDetailTypeSuffx = "via CloudTrail"
)

func parseEventBridge(payload []byte) (*Trigger, error) {
	var ev eventBridgeEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("EventBridge event: %w", err)
	}
	if ev.DetailType == "" || ev.Source == "" {
		return nil, fmt.Errorf("EventBridge event %s: missing detail-type or source", truncate(ev.ID, 64))
	}
	if ev.DetailType == detailTypeScheduled {
		return jobFromScheduledEvent(&ev), nil
	}
	kind := KindEventBridge
	var (
		alerts []Alert
		err    error
	)
	if strings.HasPrefix(ev.Source, watchkeeperSourcePrefix) {
		kind = KindWatchkeeper
		alerts, err = watchkeeperAlerts(&ev)
	} else {
		alerts, err = eventAlerts(&ev)
	}
	if err != nil {
		return nil, fmt.Errorf("EventBridge %q event %s: %w", truncate(ev.DetailType, 80), truncate(ev.ID, 64), err)
	}
	for i := range alerts {
		alerts[i].Key = ev.ID
		if len(alerts) > 1 {
			alerts[i].Key = ev.ID + "#" + strconv.Itoa(i)
		}
	}
	return &Trigger{Kind: kind, Alerts: alerts, Keys: collectKeys(alerts)}, nil
}

// eventAlerts turns an AWS event into alerts.
func eventAlerts(ev *eventBridgeEvent) ([]Alert, error) {
	at, err := parseTime(ev.Time)
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	if len(ev.Detail) == 0 || string(ev.Detail) == "null" {
		ev.Detail = json.RawMessage("{}")
	}
	switch {
	case ev.DetailType == detailTypeAlarmChange:
		var d alarmData
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			return nil, fmt.Errorf("detail: %w", err)
		}
		arn := ""
		if len(ev.Resources) > 0 {
			arn = ev.Resources[0]
		}
		a, err := alarmFromData(&d, arn, ev.Account, RegionFromDisplayName(ev.Region), ev.Detail)
		if err != nil {
			return nil, err
		}
		return []Alert{*a}, nil
	case ev.DetailType == detailTypeGuardDuty:
		a, err := guardDutyAlert(ev, at)
		if err != nil {
			return nil, err
		}
		return []Alert{*a}, nil
	case ev.DetailType == detailTypeSecHubImported || ev.DetailType == detailTypeSecHubCustom:
		return securityHubAlerts(ev, at)
	case strings.HasSuffix(ev.DetailType, cloudTrailDetailTypeSuffx):
		rec, err := cloudtrail.Parse(ev.Detail)
		if err != nil {
			return nil, fmt.Errorf("detail: %w", err)
		}
		a := FromCloudTrail(rec)
		a.Raw = ev.Detail
		a.setLabel(LabelDetailType, ev.DetailType)
		a.setLabel(LabelEventSource, rec.EventSource)
		if a.Time.IsZero() {
			a.Time = at
		}
		return []Alert{*a}, nil
	case ev.DetailType == detailTypeCodeBuild:
		a, err := codeBuildAlert(ev, at)
		if err != nil {
			return nil, err
		}
		return []Alert{*a}, nil
	case ev.DetailType == detailTypeEC2StateChange:
		a, err := ec2StateAlert(ev, at)
		if err != nil {
			return nil, err
		}
		return []Alert{*a}, nil
	case ev.Source == "aws.autoscaling":
		a, err := autoScalingAlert(ev, at)
		if err != nil {
			return nil, err
		}
		return []Alert{*a}, nil
	}
	a := baseEventAlert(ev, at)
	id := ev.Account + "/" + ev.Region
	if len(ev.Resources) > 0 {
		id = strings.Join(ev.Resources, ",")
	}
	a.ID = MakeID(SourceEventBridge, ev.Source, ev.DetailType, id)
	a.State = StateEvent
	a.Title = ev.DetailType
	a.Severity = SeverityInfo
	a.finish()
	return []Alert{*a}, nil
}

// baseEventAlert fills what every EventBridge-derived alert shares.
func baseEventAlert(ev *eventBridgeEvent, at time.Time) *Alert {
	a := &Alert{Source: SourceEventBridge, Time: at, Raw: ev.Detail}
	a.setLabel(LabelAccount, ev.Account)
	a.setLabel(LabelRegion, ev.Region)
	a.setLabel(LabelDetailType, ev.DetailType)
	a.setLabel(LabelEventSource, ev.Source)
	for _, r := range ev.Resources {
		if r == "" {
			continue
		}
		res := ResourceFromARN(r)
		if res.Region == "" {
			res.Region = ev.Region
		}
		if res.Account == "" {
			res.Account = ev.Account
		}
		a.Resources = append(a.Resources, res)
	}
	return a
}

// GuardDuty severity bands (1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical).
// https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html
const (
	guardDutyCritical = 9.0
	guardDutyHigh     = 7.0
	guardDutyMedium   = 4.0
	guardDutyLow      = 1.0
)

// GuardDutySeverity maps a GuardDuty severity number to a severity label.
func GuardDutySeverity(v float64) string {
	switch {
	case v >= guardDutyCritical:
		return SeverityCritical
	case v >= guardDutyHigh:
		return SeverityHigh
	case v >= guardDutyMedium:
		return SeverityMedium
	case v >= guardDutyLow:
		return SeverityLow
	}
	return SeverityInfo
}

type guardDutyFinding struct {
	ID          string  `json:"id"`
	ARN         string  `json:"arn"`
	Type        string  `json:"type"`
	Severity    float64 `json:"severity"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	AccountID   string  `json:"accountId"`
	Region      string  `json:"region"`
	UpdatedAt   string  `json:"updatedAt"`
	Resource    struct {
		ResourceType    string `json:"resourceType"`
		InstanceDetails *struct {
			InstanceID string `json:"instanceId"`
		} `json:"instanceDetails"`
		AccessKeyDetails *struct {
			AccessKeyID string `json:"accessKeyId"`
			UserName    string `json:"userName"`
		} `json:"accessKeyDetails"`
		S3BucketDetails []struct {
			ARN  string `json:"arn"`
			Name string `json:"name"`
		} `json:"s3BucketDetails"`
	} `json:"resource"`
	Service struct {
		Archived       bool `json:"archived"`
		Count          int  `json:"count"`
		AdditionalInfo struct {
			Sample bool `json:"sample"`
		} `json:"additionalInfo"`
	} `json:"service"`
}

func guardDutyAlert(ev *eventBridgeEvent, at time.Time) (*Alert, error) {
	var f guardDutyFinding
	if err := json.Unmarshal(ev.Detail, &f); err != nil {
		return nil, fmt.Errorf("GuardDuty finding: %w", err)
	}
	if f.ID == "" && f.ARN == "" {
		return nil, fmt.Errorf("GuardDuty finding: missing id")
	}
	a := baseEventAlert(ev, at)
	a.ID = MakeID("guardduty", firstNonEmpty(f.ARN, f.ID))
	a.State = StateFinding
	if f.Service.Archived {
		a.State = StateOK
	}
	a.Severity = GuardDutySeverity(f.Severity)
	a.Title = firstNonEmpty(f.Title, f.Type)
	a.Description = f.Description
	a.Reason = f.Type
	region := firstNonEmpty(f.Region, ev.Region)
	account := firstNonEmpty(f.AccountID, ev.Account)
	a.setLabel(LabelFindingType, f.Type)
	a.setLabel(LabelAccount, account)
	a.setLabel(LabelRegion, region)
	if f.Service.AdditionalInfo.Sample {
		a.setLabel("sample", "true")
	}
	p := Partition(region)
	if d := f.Resource.InstanceDetails; d != nil && d.InstanceID != "" {
		a.Resources = append(a.Resources, Resource{ID: d.InstanceID, Type: "AWS::EC2::Instance", Region: region, Account: account,
			ARN: buildARN(p, "ec2", region, account, "instance/"+d.InstanceID)})
	}
	if d := f.Resource.AccessKeyDetails; d != nil && d.AccessKeyID != "" {
		a.Resources = append(a.Resources, Resource{ID: d.AccessKeyID, Type: "AWS::IAM::AccessKey", Region: region, Account: account})
		if d.UserName != "" {
			a.setLabel(LabelActor, d.UserName)
		}
	}
	for _, b := range f.Resource.S3BucketDetails {
		a.Resources = append(a.Resources, Resource{ID: b.Name, ARN: b.ARN, Type: "AWS::S3::Bucket", Region: region, Account: account})
	}
	if len(a.Resources) == 0 && f.Resource.ResourceType != "" {
		a.setLabel(LabelResourceTyp, f.Resource.ResourceType)
	}
	if f.ID != "" {
		a.addLink("Finding in GuardDuty", consoleURL(region, "/guardduty/home", "#/findings?macros=current&fId="+url.QueryEscape(f.ID)))
	}
	a.finish()
	return a, nil
}

type securityHubFinding struct {
	ID           string `json:"Id"`
	ProductName  string `json:"ProductName"`
	GeneratorID  string `json:"GeneratorId"`
	AWSAccountID string `json:"AwsAccountId"`
	Region       string `json:"Region"`
	Types        []string
	UpdatedAt    string `json:"UpdatedAt"`
	Severity     struct {
		Label      string   `json:"Label"`
		Normalized *float64 `json:"Normalized"`
	} `json:"Severity"`
	Title       string `json:"Title"`
	Description string `json:"Description"`
	Remediation struct {
		Recommendation struct {
			Text string `json:"Text"`
			URL  string `json:"Url"`
		} `json:"Recommendation"`
	} `json:"Remediation"`
	ProductFields map[string]string `json:"ProductFields"`
	Resources     []struct {
		Type   string `json:"Type"`
		ID     string `json:"Id"`
		Region string `json:"Region"`
	} `json:"Resources"`
	Compliance struct {
		Status            string `json:"Status"`
		SecurityControlID string `json:"SecurityControlId"`
	} `json:"Compliance"`
	Workflow struct {
		Status string `json:"Status"`
	} `json:"Workflow"`
	RecordState string `json:"RecordState"`
}

// securityHubSeverity maps an ASFF severity (label, or normalized 0–100).
// https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Severity.html
func securityHubSeverity(label string, normalized *float64) string {
	if s := NormalizeSeverity(label); s != "" {
		return s
	}
	if normalized == nil {
		return SeverityInfo
	}
	switch n := *normalized; {
	case n >= 90:
		return SeverityCritical
	case n >= 70:
		return SeverityHigh
	case n >= 40:
		return SeverityMedium
	case n >= 1:
		return SeverityLow
	}
	return SeverityInfo
}

func securityHubAlerts(ev *eventBridgeEvent, at time.Time) ([]Alert, error) {
	var d struct {
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, fmt.Errorf("Security Hub detail: %w", err)
	}
	if len(d.Findings) == 0 {
		return nil, fmt.Errorf("Security Hub detail: no findings")
	}
	alerts := make([]Alert, 0, len(d.Findings))
	for i, raw := range d.Findings {
		var f securityHubFinding
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, fmt.Errorf("Security Hub findings[%d]: %w", i, err)
		}
		if f.ID == "" {
			return nil, fmt.Errorf("Security Hub findings[%d]: missing Id", i)
		}
		when := at
		if t, err := parseTime(f.UpdatedAt); err == nil && !t.IsZero() {
			when = t
		}
		a := baseEventAlert(ev, when)
		a.Resources = nil
		a.Raw = raw
		a.ID = MakeID("securityhub", f.ID)
		a.State = StateFinding
		if strings.EqualFold(f.Workflow.Status, "RESOLVED") || strings.EqualFold(f.Workflow.Status, "SUPPRESSED") ||
			strings.EqualFold(f.RecordState, "ARCHIVED") || strings.EqualFold(f.Compliance.Status, "PASSED") {
			a.State = StateOK
		}
		a.Severity = securityHubSeverity(f.Severity.Label, f.Severity.Normalized)
		a.Title = firstNonEmpty(f.Title, f.GeneratorID, f.ID)
		a.Description = f.Description
		a.Reason = f.Remediation.Recommendation.Text
		region := firstNonEmpty(f.Region, ev.Region)
		account := firstNonEmpty(f.AWSAccountID, ev.Account)
		control := firstNonEmpty(f.Compliance.SecurityControlID, f.ProductFields["ControlId"])
		a.setLabel(LabelAccount, account)
		a.setLabel(LabelRegion, region)
		a.setLabel(LabelControl, control)
		a.setLabel("product", f.ProductName)
		a.setLabel(LabelStatus, f.Compliance.Status)
		if len(f.Types) > 0 {
			a.setLabel(LabelFindingType, f.Types[0])
		}
		for _, r := range f.Resources {
			res := Resource{ID: r.ID, Type: r.Type, Region: firstNonEmpty(r.Region, region), Account: account}
			if strings.HasPrefix(r.ID, "arn:") {
				parsed := ResourceFromARN(r.ID)
				res.ARN, res.ID = r.ID, parsed.ID
				res.Account = firstNonEmpty(parsed.Account, account)
			}
			a.Resources = append(a.Resources, res)
		}
		a.addLink("Remediation", f.Remediation.Recommendation.URL)
		if control != "" {
			a.addLink("Control in Security Hub", consoleURL(region, "/securityhub/home", "#/controls/"+url.PathEscape(control)))
		}
		a.finish()
		alerts = append(alerts, *a)
	}
	return alerts, nil
}

// FromCloudTrail makes an alert of one CloudTrail record, for events routed
// straight to a function ("AWS API Call via CloudTrail"). Console sign-ins
// without MFA and anything done by root are high severity, the rest medium.
func FromCloudTrail(rec *cloudtrail.Record) *Alert {
	actor := rec.Actor()
	a := &Alert{
		ID:     MakeID(SourceCloudTrail, firstNonEmpty(rec.EventID, rec.RequestID, rec.EventSource+"/"+rec.EventName+"/"+rec.EventTime.String())),
		Source: SourceCloudTrail,
		State:  StateFinding,
		Title:  rec.EventName + " by " + actor,
		Time:   rec.EventTime,
		Record: rec,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s called by %s", rec.EventSource, rec.EventName, actor)
	if rec.SourceIPAddress != "" {
		fmt.Fprintf(&b, " from %s", rec.SourceIPAddress)
	}
	if rec.ErrorCode != "" {
		fmt.Fprintf(&b, "; failed with %s", rec.ErrorCode)
		if rec.ErrorMessage != "" {
			fmt.Fprintf(&b, ": %s", rec.ErrorMessage)
		}
	}
	a.Description = b.String()
	a.Severity = SeverityMedium
	switch {
	case rec.UserIdentity.Type == cloudtrail.IdentityRoot:
		a.Severity = SeverityHigh
	case rec.EventName == "ConsoleLogin" && !rec.MFAUsed():
		a.Severity = SeverityHigh
	}
	account := rec.Account()
	a.setLabel(LabelAccount, account)
	a.setLabel(LabelRegion, rec.AWSRegion)
	a.setLabel(LabelEventName, rec.EventName)
	a.setLabel(LabelEventSource, rec.EventSource)
	a.setLabel(LabelActor, actor)
	a.setLabel(LabelActorType, rec.UserIdentity.Type)
	a.setLabel(LabelSourceIP, rec.SourceIPAddress)
	a.setLabel(LabelErrorCode, rec.ErrorCode)
	a.Resources = ResourcesFromRecord(rec)
	a.addLink("Event in CloudTrail", rec.ConsoleURL())
	a.finish()
	return a
}

// ResourcesFromRecord lists the resources a CloudTrail record is about: its
// resources list plus what common request parameters name (security group,
// instances, bucket, IAM user or role, trail, function).
func ResourcesFromRecord(rec *cloudtrail.Record) []Resource {
	region, account := rec.AWSRegion, rec.Account()
	p := Partition(region)
	var out []Resource
	add := func(r Resource) {
		if r.ID == "" && r.ARN == "" {
			return
		}
		for _, have := range out {
			if (r.ARN != "" && have.ARN == r.ARN) || (r.ARN == "" && have.ID == r.ID && have.Type == r.Type) {
				return
			}
		}
		out = append(out, r)
	}
	for _, r := range rec.Resources {
		res := ResourceFromARN(r.ARN)
		if res.Type == "" {
			res.Type = r.Type
		}
		res.Account = firstNonEmpty(res.Account, r.AccountID)
		add(res)
	}
	if len(rec.RequestParameters) == 0 || rec.RequestParameters[0] != '{' {
		return out
	}
	var rp struct {
		GroupID      string `json:"groupId"`
		InstanceID   string `json:"instanceId"`
		InstancesSet struct {
			Items []struct {
				InstanceID string `json:"instanceId"`
			} `json:"items"`
		} `json:"instancesSet"`
		BucketName   string `json:"bucketName"`
		UserName     string `json:"userName"`
		RoleName     string `json:"roleName"`
		Name         string `json:"name"`
		TrailName    string `json:"trailName"`
		FunctionName string `json:"functionName"`
	}
	if json.Unmarshal(rec.RequestParameters, &rp) != nil {
		return out
	}
	if rp.GroupID != "" {
		add(Resource{ID: rp.GroupID, Type: "AWS::EC2::SecurityGroup", Region: region, Account: account,
			ARN: buildARN(p, "ec2", region, account, "security-group/"+rp.GroupID)})
	}
	instances := make([]string, 0, 1+len(rp.InstancesSet.Items))
	if rp.InstanceID != "" {
		instances = append(instances, rp.InstanceID)
	}
	for _, it := range rp.InstancesSet.Items {
		instances = append(instances, it.InstanceID)
	}
	for _, id := range instances {
		add(Resource{ID: id, Type: "AWS::EC2::Instance", Region: region, Account: account,
			ARN: buildARN(p, "ec2", region, account, "instance/"+id)})
	}
	if rp.BucketName != "" {
		add(Resource{ID: rp.BucketName, Type: "AWS::S3::Bucket", Region: region, Account: account, ARN: "arn:" + p + ":s3:::" + rp.BucketName})
	}
	switch rec.EventSource {
	case "iam.amazonaws.com":
		if rp.UserName != "" {
			add(Resource{ID: rp.UserName, Type: "AWS::IAM::User", Account: account, ARN: iamARN(p, account, "user/"+rp.UserName)})
		}
		if rp.RoleName != "" {
			add(Resource{ID: rp.RoleName, Type: "AWS::IAM::Role", Account: account, ARN: iamARN(p, account, "role/"+rp.RoleName)})
		}
	case "cloudtrail.amazonaws.com":
		if name := firstNonEmpty(rp.Name, rp.TrailName); name != "" {
			if strings.HasPrefix(name, "arn:") {
				add(ResourceFromARN(name))
			} else {
				add(Resource{ID: name, Type: "AWS::CloudTrail::Trail", Region: region, Account: account,
					ARN: buildARN(p, "cloudtrail", region, account, "trail/"+name)})
			}
		}
	case "lambda.amazonaws.com":
		if rp.FunctionName != "" {
			if strings.HasPrefix(rp.FunctionName, "arn:") {
				add(ResourceFromARN(rp.FunctionName))
			} else {
				add(Resource{ID: rp.FunctionName, Type: "AWS::Lambda::Function", Region: region, Account: account,
					ARN: buildARN(p, "lambda", region, account, "function:"+rp.FunctionName)})
			}
		}
	}
	return out
}

func iamARN(partition, account, resource string) string {
	if account == "" {
		return ""
	}
	return "arn:" + partition + ":iam::" + account + ":" + resource
}

type codeBuildDetail struct {
	BuildStatus           string `json:"build-status"`
	ProjectName           string `json:"project-name"`
	BuildID               string `json:"build-id"`
	AdditionalInformation struct {
		BuildNumber float64 `json:"build-number"`
		Initiator   string  `json:"initiator"`
		Logs        struct {
			DeepLink string `json:"deep-link"`
		} `json:"logs"`
	} `json:"additional-information"`
	CurrentPhase        string `json:"current-phase"`
	CurrentPhaseContext string `json:"current-phase-context"`
}

// codeBuildAlert: failed builds are ALARM (high), a success resolves the
// project's alert (OK), starts and stops are EVENTs.
func codeBuildAlert(ev *eventBridgeEvent, at time.Time) (*Alert, error) {
	var d codeBuildDetail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, fmt.Errorf("CodeBuild detail: %w", err)
	}
	if d.ProjectName == "" {
		return nil, fmt.Errorf("CodeBuild detail: missing project-name")
	}
	a := baseEventAlert(ev, at)
	a.ID = MakeID("codebuild", ev.Account, ev.Region, d.ProjectName)
	switch d.BuildStatus {
	case "FAILED", "FAULT", "TIMED_OUT":
		a.State, a.Severity = StateAlarm, SeverityHigh
	case "SUCCEEDED":
		a.State, a.Severity = StateOK, SeverityHigh
	default:
		a.State, a.Severity = StateEvent, SeverityInfo
		a.ID = MakeID("codebuild", ev.Account, ev.Region, d.ProjectName, d.BuildID, d.BuildStatus)
	}
	a.Title = fmt.Sprintf("CodeBuild %s: build %s", d.ProjectName, strings.ToLower(strings.ReplaceAll(firstNonEmpty(d.BuildStatus, "changed"), "_", " ")))
	if n := d.AdditionalInformation.BuildNumber; n > 0 {
		a.Title += fmt.Sprintf(" (#%d)", int64(n))
	}
	if d.AdditionalInformation.Initiator != "" {
		a.Description = "Started by " + d.AdditionalInformation.Initiator + "."
	}
	if d.CurrentPhase != "" {
		a.Reason = "Phase " + d.CurrentPhase
		if d.CurrentPhaseContext != "" && d.CurrentPhaseContext != "[]" {
			a.Reason += ": " + d.CurrentPhaseContext
		}
	}
	a.setLabel(LabelProject, d.ProjectName)
	a.setLabel(LabelStatus, d.BuildStatus)
	project := Resource{ID: d.ProjectName, Type: "AWS::CodeBuild::Project", Region: ev.Region, Account: ev.Account,
		ARN: buildARN(Partition(ev.Region), "codebuild", ev.Region, ev.Account, "project/"+d.ProjectName)}
	a.Resources = append([]Resource{project}, a.Resources...)
	if _, build, ok := strings.Cut(d.BuildID, ":build/"); ok && ev.Account != "" {
		a.addLink("Build in CodeBuild", consoleURL(ev.Region,
			"/codesuite/codebuild/"+ev.Account+"/projects/"+url.PathEscape(d.ProjectName)+"/build/"+url.PathEscape(build)+"/", ""))
	}
	a.addLink("Build logs", d.AdditionalInformation.Logs.DeepLink)
	a.finish()
	return a, nil
}

// ec2StateAlert: a stopped or terminated instance is an ALARM resolved when it
// runs again; transitional states are EVENTs.
func ec2StateAlert(ev *eventBridgeEvent, at time.Time) (*Alert, error) {
	var d struct {
		InstanceID string `json:"instance-id"`
		State      string `json:"state"`
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, fmt.Errorf("EC2 detail: %w", err)
	}
	if d.InstanceID == "" {
		return nil, fmt.Errorf("EC2 detail: missing instance-id")
	}
	a := baseEventAlert(ev, at)
	a.ID = MakeID("ec2", ev.Account, ev.Region, d.InstanceID)
	a.Severity = SeverityLow
	switch d.State {
	case "stopped", "terminated":
		a.State = StateAlarm
	case "running":
		a.State = StateOK
	default:
		a.State, a.Severity = StateEvent, SeverityInfo
		a.ID = MakeID("ec2", ev.Account, ev.Region, d.InstanceID, d.State)
	}
	a.Title = fmt.Sprintf("EC2 instance %s is %s", d.InstanceID, firstNonEmpty(d.State, "in an unknown state"))
	a.setLabel(LabelStatus, d.State)
	a.setLabel(LabelResource, d.InstanceID)
	if len(a.Resources) == 0 {
		a.Resources = append(a.Resources, Resource{ID: d.InstanceID, Type: "AWS::EC2::Instance", Region: ev.Region, Account: ev.Account,
			ARN: buildARN(Partition(ev.Region), "ec2", ev.Region, ev.Account, "instance/"+d.InstanceID)})
	}
	a.addLink("Instance in EC2", consoleURL(ev.Region, "/ec2/home", "#InstanceDetails:instanceId="+url.QueryEscape(d.InstanceID)))
	a.finish()
	return a, nil
}

// autoScalingAlert: failed launches and terminations are ALARMs, everything
// else an EVENT per scaling activity.
func autoScalingAlert(ev *eventBridgeEvent, at time.Time) (*Alert, error) {
	var d struct {
		AutoScalingGroupName string `json:"AutoScalingGroupName"`
		EC2InstanceID        string `json:"EC2InstanceId"`
		ActivityID           string `json:"ActivityId"`
		StatusCode           string `json:"StatusCode"`
		StatusMessage        string `json:"StatusMessage"`
		Description          string `json:"Description"`
		Cause                string `json:"Cause"`
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, fmt.Errorf("Auto Scaling detail: %w", err)
	}
	if d.AutoScalingGroupName == "" {
		return nil, fmt.Errorf("Auto Scaling detail: missing AutoScalingGroupName")
	}
	a := baseEventAlert(ev, at)
	// The envelope lists the group and instance ARNs; describe them by type.
	a.Resources = nil
	for _, r := range ev.Resources {
		if res := ResourceFromARN(r); res.ARN != "" {
			a.Resources = append(a.Resources, res)
		}
	}
	if !containsType(a.Resources, "AWS::AutoScaling::AutoScalingGroup") {
		a.Resources = append([]Resource{{ID: d.AutoScalingGroupName, Type: "AWS::AutoScaling::AutoScalingGroup", Region: ev.Region, Account: ev.Account}}, a.Resources...)
	}
	if d.EC2InstanceID != "" && !containsType(a.Resources, "AWS::EC2::Instance") {
		a.Resources = append(a.Resources, Resource{ID: d.EC2InstanceID, Type: "AWS::EC2::Instance", Region: ev.Region, Account: ev.Account,
			ARN: buildARN(Partition(ev.Region), "ec2", ev.Region, ev.Account, "instance/"+d.EC2InstanceID)})
	}
	if strings.HasSuffix(ev.DetailType, "Unsuccessful") {
		a.State, a.Severity = StateAlarm, SeverityHigh
		a.ID = MakeID("autoscaling", ev.Account, ev.Region, d.AutoScalingGroupName, ev.DetailType)
	} else {
		a.State, a.Severity = StateEvent, SeverityInfo
		a.ID = MakeID("autoscaling", ev.Account, ev.Region, d.AutoScalingGroupName, firstNonEmpty(d.ActivityID, ev.ID))
	}
	a.Title = d.AutoScalingGroupName + ": " + ev.DetailType
	if d.EC2InstanceID != "" {
		a.Title += " (" + d.EC2InstanceID + ")"
	}
	a.Description = strings.TrimSpace(d.Description + "\n" + d.Cause)
	a.Reason = d.StatusMessage
	a.setLabel("auto_scaling_group", d.AutoScalingGroupName)
	a.setLabel("instance", d.EC2InstanceID)
	a.setLabel(LabelStatus, d.StatusCode)
	a.setLabel(LabelResource, d.AutoScalingGroupName)
	a.setLabel(LabelResourceTyp, "AWS::AutoScaling::AutoScalingGroup")
	a.addLink("Auto Scaling group in EC2", consoleURL(ev.Region, "/ec2/home", "#AutoScalingGroupDetails:id="+url.QueryEscape(d.AutoScalingGroupName)))
	a.finish()
	return a, nil
}

func containsType(rs []Resource, typ string) bool {
	for _, r := range rs {
		if r.Type == typ {
			return true
		}
	}
	return false
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
