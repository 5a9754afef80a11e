package alert

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// snsAlarmMessage is the JSON CloudWatch publishes to SNS when an alarm
// changes state. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-sns-notifications.html
type snsAlarmMessage struct {
	AlarmName          string           `json:"AlarmName"`
	AlarmDescription   *string          `json:"AlarmDescription"`
	AWSAccountID       string           `json:"AWSAccountId"`
	NewStateValue      string           `json:"NewStateValue"`
	NewStateReason     string           `json:"NewStateReason"`
	StateChangeTime    string           `json:"StateChangeTime"`
	Region             string           `json:"Region"`
	AlarmARN           string           `json:"AlarmArn"`
	OldStateValue      string           `json:"OldStateValue"`
	Trigger            *snsAlarmTrigger `json:"Trigger"`
	AlarmRule          string           `json:"AlarmRule"`
	TriggeringChildren []struct {
		ARN string `json:"Arn"`
	} `json:"TriggeringChildren"`
}

type snsAlarmTrigger struct {
	MetricName        string          `json:"MetricName"`
	Namespace         string          `json:"Namespace"`
	StatisticType     string          `json:"StatisticType"`
	Statistic         string          `json:"Statistic"`
	ExtendedStatistic string          `json:"ExtendedStatistic"`
	Unit              *string         `json:"Unit"`
	Dimensions        []snsDimension  `json:"Dimensions"`
	Period            float64         `json:"Period"`
	EvaluationPeriods float64         `json:"EvaluationPeriods"`
	DatapointsToAlarm float64         `json:"DatapointsToAlarm"`
	Comparison        string          `json:"ComparisonOperator"`
	Threshold         *float64        `json:"Threshold"`
	ThresholdMetricID string          `json:"ThresholdMetricId"`
	TreatMissingData  string          `json:"TreatMissingData"`
	Metrics           []snsMetricData `json:"Metrics"`
}

type snsDimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type snsMetricData struct {
	ID         string `json:"Id"`
	Expression string `json:"Expression"`
	Label      string `json:"Label"`
	ReturnData bool   `json:"ReturnData"`
	MetricStat *struct {
		Metric struct {
			Dimensions []snsDimension `json:"Dimensions"`
			MetricName string         `json:"MetricName"`
			Namespace  string         `json:"Namespace"`
		} `json:"Metric"`
		Period float64 `json:"Period"`
		Stat   string  `json:"Stat"`
		Unit   *string `json:"Unit"`
	} `json:"MetricStat"`
}

// isAlarmMessage tells an SNS message carrying a CloudWatch alarm apart.
func isAlarmMessage(top map[string]json.RawMessage) bool {
	return has(top, "AlarmName") && has(top, "NewStateValue")
}

// ParseAlarmMessage parses the alarm JSON CloudWatch publishes to SNS (the
// SNS Message body) into an Alert without a delivery key.
func ParseAlarmMessage(msg []byte) (*Alert, error) {
	var m snsAlarmMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return nil, fmt.Errorf("alarm message: %w", err)
	}
	if m.AlarmName == "" {
		return nil, fmt.Errorf("alarm message: missing AlarmName")
	}
	state, err := parseAlarmState(m.NewStateValue)
	if err != nil {
		return nil, fmt.Errorf("alarm message %q: NewStateValue: %w", truncate(m.AlarmName, 80), err)
	}
	at, err := parseTime(m.StateChangeTime)
	if err != nil {
		return nil, fmt.Errorf("alarm message %q: StateChangeTime: %w", truncate(m.AlarmName, 80), err)
	}
	arn, arnOK := ParseARN(m.AlarmARN)
	region := ""
	if arnOK && looksLikeRegionCode(arn.Region) {
		region = arn.Region
	}
	if region == "" {
		region = RegionFromDisplayName(m.Region)
	}
	account := m.AWSAccountID
	if arnOK && isAccountID(arn.Account) && !isAccountID(account) {
		account = arn.Account
	}
	prev, _ := parseAlarmState(m.OldStateValue)
	desc := ""
	if m.AlarmDescription != nil {
		desc = *m.AlarmDescription
	}
	a := &Alert{
		Source:        SourceAlarm,
		State:         state,
		PreviousState: prev,
		Title:         m.AlarmName,
		Reason:        m.NewStateReason,
		Description:   desc,
		Time:          at,
		Raw:           json.RawMessage(msg),
	}
	var metric *Metric
	switch {
	case m.AlarmRule != "":
		metric = &Metric{AlarmRule: m.AlarmRule}
		for _, c := range m.TriggeringChildren {
			if c.ARN != "" {
				metric.TriggeringAlarms = append(metric.TriggeringAlarms, c.ARN)
			}
		}
		a.setLabel(LabelAlarmType, "composite")
	case m.Trigger != nil:
		metric = m.Trigger.metric()
		if len(metric.Metrics) > 0 {
			a.setLabel(LabelAlarmType, "metric-math")
		} else {
			a.setLabel(LabelAlarmType, "metric")
		}
	}
	fillAlarm(a, m.AlarmName, m.AlarmARN, region, account, metric)
	return a, nil
}

func (t *snsAlarmTrigger) metric() *Metric {
	m := &Metric{
		Namespace:         t.Namespace,
		Name:              t.MetricName,
		Statistic:         NormalizeStatistic(t.Statistic),
		Period:            int(t.Period),
		EvaluationPeriods: int(t.EvaluationPeriods),
		DatapointsToAlarm: int(t.DatapointsToAlarm),
		Comparison:        t.Comparison,
		Threshold:         t.Threshold,
		ThresholdMetricID: t.ThresholdMetricID,
		TreatMissingData:  NormalizeTreatMissingData(t.TreatMissingData),
	}
	if strings.EqualFold(t.StatisticType, "ExtendedStatistic") || (m.Statistic == "" && t.ExtendedStatistic != "") {
		m.Statistic = NormalizeStatistic(t.ExtendedStatistic)
	}
	if t.Unit != nil {
		m.Unit = *t.Unit
	}
	for _, d := range t.Dimensions {
		m.Dimensions = append(m.Dimensions, Dimension(d))
	}
	for _, q := range t.Metrics {
		mq := MetricQuery{ID: q.ID, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
		if s := q.MetricStat; s != nil {
			mq.Namespace = s.Metric.Namespace
			mq.Name = s.Metric.MetricName
			mq.Stat = NormalizeStatistic(s.Stat)
			mq.Period = int(s.Period)
			if s.Unit != nil {
				mq.Unit = *s.Unit
			}
			for _, d := range s.Metric.Dimensions {
				mq.Dimensions = append(mq.Dimensions, Dimension(d))
			}
		}
		m.Metrics = append(m.Metrics, mq)
	}
	return m
}

// alarmData is the alarm description shared by the direct alarm→Lambda
// action (alarmData) and the EventBridge "CloudWatch Alarm State Change"
// event (detail). https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions-Lambda
type alarmData struct {
	AlarmName     string     `json:"alarmName"`
	State         alarmState `json:"state"`
	PreviousState alarmState `json:"previousState"`
	Configuration struct {
		Description string `json:"description"`
		AlarmRule   string `json:"alarmRule"`
		Metrics     []struct {
			ID         string `json:"id"`
			Expression string `json:"expression"`
			Label      string `json:"label"`
			ReturnData bool   `json:"returnData"`
			MetricStat *struct {
				Metric struct {
					Namespace  string            `json:"namespace"`
					Name       string            `json:"name"`
					Dimensions map[string]string `json:"dimensions"`
				} `json:"metric"`
				Period float64 `json:"period"`
				Stat   string  `json:"stat"`
				Unit   *string `json:"unit"`
			} `json:"metricStat"`
		} `json:"metrics"`
	} `json:"configuration"`
}

type alarmState struct {
	Value      string `json:"value"`
	Reason     string `json:"reason"`
	ReasonData string `json:"reasonData"`
	Timestamp  string `json:"timestamp"`
}

// reasonData is the JSON CloudWatch puts in state.reasonData: evaluation
// details of metric alarms, triggering children of composite alarms.
type reasonData struct {
	Statistic        string     `json:"statistic"`
	Period           float64    `json:"period"`
	Threshold        *float64   `json:"threshold"`
	RecentDatapoints []*float64 `json:"recentDatapoints"`
	Unit             string     `json:"unit"`
	TriggeringAlarms []struct {
		ARN string `json:"arn"`
	} `json:"triggeringAlarms"`
}

// alarmFromData builds an Alert from alarmData; arn, account and region come
// from the envelope.
func alarmFromData(d *alarmData, arn, account, region string, raw json.RawMessage) (*Alert, error) {
	name := d.AlarmName
	if name == "" {
		if a, ok := ParseARN(arn); ok {
			_, name, _ = strings.Cut(a.Resource, ":")
		}
	}
	if name == "" {
		return nil, fmt.Errorf("alarm: missing alarmName")
	}
	state, err := parseAlarmState(d.State.Value)
	if err != nil {
		return nil, fmt.Errorf("alarm %q: state.value: %w", truncate(name, 80), err)
	}
	at, err := parseTime(d.State.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("alarm %q: state.timestamp: %w", truncate(name, 80), err)
	}
	prev, _ := parseAlarmState(d.PreviousState.Value)
	if a, ok := ParseARN(arn); ok {
		if region == "" && looksLikeRegionCode(a.Region) {
			region = a.Region
		}
		if !isAccountID(account) && isAccountID(a.Account) {
			account = a.Account
		}
	}
	a := &Alert{
		Source:        SourceAlarm,
		State:         state,
		PreviousState: prev,
		Title:         name,
		Reason:        d.State.Reason,
		Description:   d.Configuration.Description,
		Time:          at,
		Raw:           raw,
	}
	var rd reasonData
	if d.State.ReasonData != "" {
		_ = json.Unmarshal([]byte(d.State.ReasonData), &rd) // best effort: it only adds detail
	}
	m := &Metric{}
	switch {
	case d.Configuration.AlarmRule != "":
		m.AlarmRule = d.Configuration.AlarmRule
		for _, t := range rd.TriggeringAlarms {
			if t.ARN != "" {
				m.TriggeringAlarms = append(m.TriggeringAlarms, t.ARN)
			}
		}
		a.setLabel(LabelAlarmType, "composite")
	case len(d.Configuration.Metrics) == 1 && d.Configuration.Metrics[0].MetricStat != nil:
		s := d.Configuration.Metrics[0].MetricStat
		m.Namespace, m.Name = s.Metric.Namespace, s.Metric.Name
		m.Dimensions = dimensionsFromMap(s.Metric.Dimensions)
		m.Statistic = NormalizeStatistic(s.Stat)
		m.Period = int(s.Period)
		if s.Unit != nil {
			m.Unit = *s.Unit
		}
		a.setLabel(LabelAlarmType, "metric")
	case len(d.Configuration.Metrics) > 0:
		for _, q := range d.Configuration.Metrics {
			mq := MetricQuery{ID: q.ID, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
			if s := q.MetricStat; s != nil {
				mq.Namespace, mq.Name = s.Metric.Namespace, s.Metric.Name
				mq.Dimensions = dimensionsFromMap(s.Metric.Dimensions)
				mq.Stat = NormalizeStatistic(s.Stat)
				mq.Period = int(s.Period)
				if s.Unit != nil {
					mq.Unit = *s.Unit
				}
			}
			m.Metrics = append(m.Metrics, mq)
		}
		a.setLabel(LabelAlarmType, "metric-math")
	}
	if m.AlarmRule == "" {
		m.Threshold = rd.Threshold
		if m.Statistic == "" && len(m.Metrics) == 0 {
			m.Statistic = NormalizeStatistic(rd.Statistic)
		}
		if m.Period == 0 && len(m.Metrics) == 0 {
			m.Period = int(rd.Period)
		}
		for _, v := range rd.RecentDatapoints {
			if v != nil {
				m.RecentDatapoints = append(m.RecentDatapoints, *v)
			}
		}
	}
	fillAlarm(a, name, arn, region, account, m)
	return a, nil
}

// fillAlarm sets what every alarm alert shares: identity, labels, resources,
// links and severity.
func fillAlarm(a *Alert, name, arn, region, account string, m *Metric) {
	a.Metric = m
	if arn != "" {
		a.ID = MakeID(SourceAlarm, arn)
	} else {
		a.ID = MakeID(SourceAlarm, account, region, name)
	}
	a.setLabel(LabelAlarm, name)
	a.setLabel(LabelAlarmARN, arn)
	a.setLabel(LabelAccount, account)
	a.setLabel(LabelRegion, region)
	if m != nil {
		a.setLabel(LabelNamespace, m.Namespace)
		a.setLabel(LabelMetric, m.Name)
		dims := m.Dimensions
		if len(dims) == 0 {
			// A metric-math alarm is about the resources of its metrics.
			for _, q := range m.Metrics {
				for _, d := range q.Dimensions {
					if !slices.Contains(dims, d) {
						dims = append(dims, d)
					}
				}
			}
			if len(m.Metrics) > 0 && a.Label(LabelNamespace) == "" {
				for _, q := range m.Metrics {
					if q.Namespace != "" {
						a.setLabel(LabelNamespace, q.Namespace)
						break
					}
				}
			}
		}
		for _, d := range dims {
			a.setLabel(LabelDimensionPrefix+d.Name, d.Value)
			if r, ok := resourceFromDimension(d, region, account); ok {
				a.Resources = append(a.Resources, r)
			}
		}
	}
	a.Severity = SeverityFromText(a.Description)
	if a.Severity == "" {
		a.Severity = DefaultAlarmSeverity
	}
	a.addLink("Alarm in CloudWatch", AlarmConsoleURL(region, name))
	a.addLink("Runbook", RunbookFromText(a.Description))
	a.finish()
}

func dimensionsFromMap(m map[string]string) []Dimension {
	if len(m) == 0 {
		return nil
	}
	out := make([]Dimension, 0, len(m))
	for k, v := range m {
		out = append(out, Dimension{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Dimension) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func parseAlarmState(s string) (State, error) {
	switch State(s) {
	case StateAlarm, StateOK, StateInsufficientData:
		return State(s), nil
	}
	return "", fmt.Errorf("unknown alarm state %q (want ALARM, OK or INSUFFICIENT_DATA)", truncate(s, 40))
}

// NormalizeStatistic returns CloudWatch's API spelling of a statistic:
// SNS alarm messages write "SUM", "AVERAGE", "SAMPLE_COUNT"; extended
// statistics (p99, tm90, …) keep their case-insensitive name in lower case
// with the original arguments.
func NormalizeStatistic(s string) string {
	s = strings.TrimSpace(s)
	switch strings.ToUpper(strings.ReplaceAll(s, "_", "")) {
	case "":
		return ""
	case "SUM":
		return "Sum"
	case "AVERAGE", "AVG":
		return "Average"
	case "MINIMUM", "MIN":
		return "Minimum"
	case "MAXIMUM", "MAX":
		return "Maximum"
	case "SAMPLECOUNT":
		return "SampleCount"
	}
	if i := strings.IndexAny(s, "0123456789("); i > 0 && i <= 3 {
		return strings.ToLower(s[:i]) + s[i:]
	}
	return s
}

// NormalizeTreatMissingData cleans the TreatMissingData value: some SNS
// messages carry "- TreatMissingData:                    missing" instead of
// "missing". It returns the canonical spelling, or the trimmed input when it
// is not a known value.
func NormalizeTreatMissingData(s string) string {
	v := strings.TrimSpace(s)
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		v = strings.TrimSpace(v[i+1:])
	}
	switch strings.ToLower(v) {
	case "missing":
		return "missing"
	case "notbreaching":
		return "notBreaching"
	case "breaching":
		return "breaching"
	case "ignore":
		return "ignore"
	}
	return v
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// alarmActionEvent is the payload of a CloudWatch alarm's Lambda action; it
// has no detail-type, so it is not an EventBridge event.
type alarmActionEvent struct {
	Source    string          `json:"source"`
	AlarmARN  string          `json:"alarmArn"`
	AccountID string          `json:"accountId"`
	Time      string          `json:"time"`
	Region    string          `json:"region"`
	AlarmData json.RawMessage `json:"alarmData"`
}

// parseAlarmAction parses a direct alarm→Lambda invocation. Key: alarm ARN and
// state timestamp (the event has no id).
func parseAlarmAction(payload []byte) (*Trigger, error) {
	var ev alarmActionEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("alarm action: %w", err)
	}
	if ev.Source != "" && ev.Source != "aws.cloudwatch" {
		return nil, fmt.Errorf("alarm action: source %q, want aws.cloudwatch", truncate(ev.Source, 60))
	}
	var d alarmData
	if err := json.Unmarshal(ev.AlarmData, &d); err != nil {
		return nil, fmt.Errorf("alarm action: alarmData: %w", err)
	}
	a, err := alarmFromData(&d, ev.AlarmARN, ev.AccountID, RegionFromDisplayName(ev.Region), ev.AlarmData)
	if err != nil {
		return nil, fmt.Errorf("alarm action: %w", err)
	}
	ts := d.State.Timestamp
	if ts == "" {
		ts = ev.Time
	}
	id := ev.AlarmARN
	if id == "" {
		id = a.ID
	}
	a.Key = id + "@" + ts
	return &Trigger{Kind: KindAlarmAction, Alerts: []Alert{*a}, Keys: []string{a.Key}}, nil
}
