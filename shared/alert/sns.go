package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// snsRecord is one record of an SNS Lambda event.
// https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
type snsRecord struct {
	EventSource          string `json:"EventSource"`
	EventSubscriptionARN string `json:"EventSubscriptionArn"`
	SNS                  *struct {
		Type      string  `json:"Type"`
		MessageID string  `json:"MessageId"`
		TopicARN  string  `json:"TopicArn"`
		Subject   *string `json:"Subject"`
		Message   string  `json:"Message"`
		Timestamp string  `json:"Timestamp"`
	} `json:"Sns"`
}

// maxTitleLen bounds titles taken from free text.
const maxTitleLen = 200

// parseSNSEvent parses Records[] of an SNS event. Each message becomes one
// alert (or several, for an EventBridge event yielding several findings),
// keyed by the SNS MessageId.
func parseSNSEvent(raw json.RawMessage) (*Trigger, error) {
	var recs []snsRecord
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, fmt.Errorf("SNS event: Records: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("SNS event: Records is empty")
	}
	t := &Trigger{Kind: KindSNS}
	for i, r := range recs {
		if r.SNS == nil {
			return nil, fmt.Errorf("%w: Records[%d] is not an SNS record (EventSource %q, no Sns)", ErrUnrecognized, i, truncate(r.EventSource, 40))
		}
		alerts, err := snsAlerts(r)
		if err != nil {
			return nil, fmt.Errorf("SNS event: Records[%d] (MessageId %s): %w", i, truncate(r.SNS.MessageID, 64), err)
		}
		t.Alerts = append(t.Alerts, alerts...)
	}
	t.Keys = collectKeys(t.Alerts)
	return t, nil
}

func snsAlerts(r snsRecord) ([]Alert, error) {
	s := r.SNS
	msg := bytes.TrimSpace([]byte(s.Message))
	var alerts []Alert
	if len(msg) > 0 && msg[0] == '{' {
		var top map[string]json.RawMessage
		if json.Unmarshal(msg, &top) == nil {
			switch {
			case isAlarmMessage(top):
				a, err := ParseAlarmMessage(msg)
				if err != nil {
					return nil, err
				}
				alerts = []Alert{*a}
			case has(top, "detail-type"):
				inner, err := parseEventBridge(msg)
				if err != nil {
					return nil, fmt.Errorf("EventBridge event in message: %w", err)
				}
				if len(inner.Alerts) == 0 {
					return nil, fmt.Errorf("EventBridge event in message is a %s trigger, not an alert", inner.Kind)
				}
				alerts = inner.Alerts
			}
		}
	}
	if alerts == nil {
		a, err := genericSNSAlert(r)
		if err != nil {
			return nil, err
		}
		alerts = []Alert{*a}
	}
	for i := range alerts {
		alerts[i].Key = s.MessageID
		if len(alerts) > 1 {
			alerts[i].Key = s.MessageID + "#" + strconv.Itoa(i)
		}
		alerts[i].setLabel(LabelTopic, topicName(s.TopicARN))
	}
	return alerts, nil
}

// genericSNSAlert turns a message nobody recognized into an EVENT alert
// titled by its subject.
func genericSNSAlert(r snsRecord) (*Alert, error) {
	s := r.SNS
	at, err := parseTime(s.Timestamp)
	if err != nil {
		return nil, fmt.Errorf("Timestamp: %w", err)
	}
	subject := ""
	if s.Subject != nil {
		subject = strings.TrimSpace(*s.Subject)
	}
	title := subject
	if title == "" {
		title, _, _ = strings.Cut(strings.TrimSpace(s.Message), "\n")
	}
	if title == "" {
		title = "SNS notification"
	}
	a := &Alert{
		ID:          MakeID(SourceSNS, s.TopicARN, subject),
		Source:      SourceSNS,
		State:       StateEvent,
		Title:       truncate(title, maxTitleLen),
		Description: s.Message,
		Time:        at,
	}
	if json.Valid([]byte(s.Message)) {
		a.Raw = json.RawMessage(s.Message)
	} else {
		a.Raw, _ = json.Marshal(s.Message)
	}
	a.Severity = SeverityFromText(subject + "\n" + s.Message)
	if arn, ok := ParseARN(s.TopicARN); ok {
		a.setLabel(LabelAccount, arn.Account)
		a.setLabel(LabelRegion, arn.Region)
	}
	a.finish()
	return a, nil
}

func topicName(arn string) string {
	if a, ok := ParseARN(arn); ok {
		return a.Resource
	}
	return ""
}
