package localrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Time layouts of an SNS-wrapped CloudWatch alarm: the alarm message's
// StateChangeTime ("2026-11-25T10:00:12.418+0000") and the SNS envelope's
// Timestamp ("2026-11-25T10:00:12.502Z").
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
const (
	AlarmStateChangeLayout = "2006-01-02T15:04:05.000-0700"
	SNSTimestampLayout     = "2006-01-02T15:04:05.000Z"
)

// FreshenAlarmTimes returns event with every SNS-wrapped CloudWatch alarm in
// it re-timed to now: the alarm's StateChangeTime (inside the JSON string
// Sns.Message) and the record's Sns.Timestamp. A log alarm's lines are
// looked up over the window ending at StateChangeTime, so a sample replayed
// against freshly seeded logs needs its alarm to have just fired. n counts the
// alarms re-timed; an event with none (not SNS, or SNS carrying something
// other than an alarm) is returned as it is, byte for byte. Invalid JSON is
// an error.
func FreshenAlarmTimes(event []byte, now time.Time) (out []byte, n int, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(event, &top); err != nil {
		return nil, 0, fmt.Errorf("freshen alarm times: %w", err)
	}
	rawRecords, ok := top["Records"]
	if !ok {
		return event, 0, nil
	}
	var records []json.RawMessage
	if err := json.Unmarshal(rawRecords, &records); err != nil {
		// Not an SNS batch (Records of another shape): nothing to re-time.
		return event, 0, nil
	}
	now = now.UTC()
	for i, rec := range records {
		fresh, ok, err := freshenRecord(rec, now)
		if err != nil {
			return nil, 0, fmt.Errorf("freshen alarm times: record %d: %w", i, err)
		}
		if ok {
			records[i] = fresh
			n++
		}
	}
	if n == 0 {
		return event, 0, nil
	}
	if top["Records"], err = marshalRaw(records); err != nil {
		return nil, 0, fmt.Errorf("freshen alarm times: %w", err)
	}
	if out, err = marshalRaw(top); err != nil {
		return nil, 0, fmt.Errorf("freshen alarm times: %w", err)
	}
	return out, n, nil
}

// freshenRecord re-times one SNS record whose message is an alarm; ok is
// false (and rec untouched) for anything else.
func freshenRecord(rec json.RawMessage, now time.Time) (json.RawMessage, bool, error) {
	var r map[string]json.RawMessage
	if json.Unmarshal(rec, &r) != nil {
		return nil, false, nil
	}
	var sns map[string]json.RawMessage
	if raw, ok := r["Sns"]; !ok || json.Unmarshal(raw, &sns) != nil {
		return nil, false, nil
	}
	var text string
	if raw, ok := sns["Message"]; !ok || json.Unmarshal(raw, &text) != nil {
		return nil, false, nil
	}
	var msg map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &msg) != nil {
		return nil, false, nil
	}
	_, named := msg["AlarmName"]
	_, timed := msg["StateChangeTime"]
	if !named || !timed {
		return nil, false, nil
	}
	var err error
	if msg["StateChangeTime"], err = marshalRaw(now.Format(AlarmStateChangeLayout)); err != nil {
		return nil, false, err
	}
	body, err := marshalRaw(msg)
	if err != nil {
		return nil, false, fmt.Errorf("alarm message: %w", err)
	}
	if sns["Message"], err = marshalRaw(string(body)); err != nil {
		return nil, false, err
	}
	if _, ok := sns["Timestamp"]; ok {
		if sns["Timestamp"], err = marshalRaw(now.Format(SNSTimestampLayout)); err != nil {
			return nil, false, err
		}
	}
	if r["Sns"], err = marshalRaw(sns); err != nil {
		return nil, false, err
	}
	out, err := marshalRaw(r)
	return out, err == nil, err
}

// marshalRaw encodes v compactly without HTML escaping, so that alarm reasons
// such as "OK -> ALARM" keep their characters.
func marshalRaw(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
