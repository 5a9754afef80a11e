package render

import (
	"encoding/json"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// WebhookSchema names the version of the Webhook body; fields are only ever
// added within a version.
const WebhookSchema = "watchkeeper.alert.v1"

// Webhook is the JSON body the webhook channel posts. Field names are stable
// within WebhookSchema:
//
//   - schema: always WebhookSchema.
//   - id: stable identity of the alerting thing (same across state changes).
//   - key: idempotency key of this delivery; receivers drop repeats.
//   - source: where the alert came from (cloudwatch.alarm, eventbridge, cloudtrail, sns, watchkeeper.*).
//   - state, previous_state: ALARM, OK, INSUFFICIENT_DATA, FINDING, REMEDIATED or EVENT.
//   - resolved: true for OK and REMEDIATED.
//   - severity: critical, high, medium, low or info.
//   - title, reason, description: human text, unescaped (JSON-encoded only).
//   - time: RFC 3339 UTC time of the state change.
//   - account, region: where it happened, when known.
//   - labels: the routing labels.
//   - metric: the alarm's metric, when the alert is a metric alarm.
//   - cloudtrail: the caller, when the alert comes from a CloudTrail record.
//   - resources, links: affected resources and console/runbook links
//     (http and https links only).
//   - graph_url: a short-lived link to the metric graph image, when a graph
//     bucket is configured.
//
// encoding/json escapes <, > and & as \u003c, \u003e and \u0026, so the body
// is safe to embed in HTML as well.
type Webhook struct {
	Schema        string             `json:"schema"`
	ID            string             `json:"id"`
	Key           string             `json:"key,omitempty"`
	Source        string             `json:"source"`
	State         string             `json:"state"`
	PreviousState string             `json:"previous_state,omitempty"`
	Resolved      bool               `json:"resolved"`
	Severity      string             `json:"severity"`
	Title         string             `json:"title"`
	Reason        string             `json:"reason,omitempty"`
	Description   string             `json:"description,omitempty"`
	Time          string             `json:"time,omitempty"`
	Account       string             `json:"account,omitempty"`
	Region        string             `json:"region,omitempty"`
	Labels        map[string]string  `json:"labels"`
	Metric        *WebhookMetric     `json:"metric,omitempty"`
	CloudTrail    *WebhookCloudTrail `json:"cloudtrail,omitempty"`
	Resources     []WebhookResource  `json:"resources,omitempty"`
	Links         []alert.Link       `json:"links,omitempty"`
	GraphURL      string             `json:"graph_url,omitempty"`
	// Group lists the alerts of a group message (see WebhookGroup).
	Group *WebhookGroup `json:"group,omitempty"`
	// Digest is the summary of a weekly digest message.
	Digest *alert.DigestSummary `json:"digest,omitempty"`
}

// WebhookMetric describes the alarm's metric.
type WebhookMetric struct {
	Namespace  string            `json:"namespace,omitempty"`
	Name       string            `json:"name,omitempty"`
	Dimensions map[string]string `json:"dimensions,omitempty"`
	Statistic  string            `json:"statistic,omitempty"`
	Period     int               `json:"period_seconds,omitempty"`
	Comparison string            `json:"comparison,omitempty"`
	Threshold  *float64          `json:"threshold,omitempty"`
	Unit       string            `json:"unit,omitempty"`
	// RecentValues are the datapoints the alarm evaluated, when known.
	RecentValues []float64 `json:"recent_values,omitempty"`
}

// WebhookCloudTrail is the caller of a CloudTrail-based alert.
type WebhookCloudTrail struct {
	EventID     string `json:"event_id,omitempty"`
	EventSource string `json:"event_source"`
	EventName   string `json:"event_name"`
	Actor       string `json:"actor"`
	ActorType   string `json:"actor_type,omitempty"`
	ActorARN    string `json:"actor_arn,omitempty"`
	SourceIP    string `json:"source_ip,omitempty"`
	UserAgent   string `json:"user_agent,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
	MFA         bool   `json:"mfa"`
}

// WebhookResource is an affected resource.
type WebhookResource struct {
	ARN     string `json:"arn,omitempty"`
	Type    string `json:"type,omitempty"`
	ID      string `json:"id,omitempty"`
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
}

// NewWebhook maps a to the Webhook body.
func NewWebhook(a alert.Alert) Webhook {
	w := Webhook{
		Schema:        WebhookSchema,
		ID:            a.ID,
		Key:           a.Key,
		Source:        a.Source,
		State:         string(a.State),
		PreviousState: string(a.PreviousState),
		Resolved:      a.State.Resolved(),
		Severity:      a.Severity,
		Title:         a.Title,
		Reason:        a.Reason,
		Description:   a.Description,
		Account:       accountID(a),
		Region:        region(a),
		Labels:        a.Labels,
	}
	for _, l := range a.Links {
		if u, ok := safeURL(l.URL); ok {
			w.Links = append(w.Links, alert.Link{Title: l.Title, URL: u})
		}
	}
	if u, ok := safeURL(a.GraphURL); ok {
		w.GraphURL = u
	}
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	if !a.Time.IsZero() {
		w.Time = a.Time.UTC().Format(time.RFC3339Nano)
	}
	if m := a.Metric; m != nil {
		wm := &WebhookMetric{
			Namespace: m.Namespace, Name: m.Name, Statistic: m.Statistic, Period: m.Period,
			Comparison: m.Comparison, Threshold: m.Threshold, Unit: m.Unit, RecentValues: m.RecentDatapoints,
		}
		if len(m.Dimensions) > 0 {
			wm.Dimensions = make(map[string]string, len(m.Dimensions))
			for _, d := range m.Dimensions {
				wm.Dimensions[d.Name] = d.Value
			}
		}
		w.Metric = wm
	}
	if r := a.Record; r != nil {
		w.CloudTrail = &WebhookCloudTrail{
			EventID: r.EventID, EventSource: r.EventSource, EventName: r.EventName,
			Actor: r.Actor(), ActorType: r.UserIdentity.Type, ActorARN: r.UserIdentity.ARN,
			SourceIP: r.SourceIPAddress, UserAgent: r.UserAgent, ErrorCode: r.ErrorCode, MFA: r.MFAUsed(),
		}
	}
	for _, r := range a.Resources {
		w.Resources = append(w.Resources, WebhookResource(r))
	}
	w.Group = newWebhookGroup(a.Group)
	w.Digest = a.Digest
	return w
}

// JSON renders a as the Webhook body.
func JSON(a alert.Alert) []byte {
	b, err := json.Marshal(NewWebhook(a))
	if err != nil {
		// Only a NaN or infinite float can fail; drop the metric and retry.
		w := NewWebhook(a)
		w.Metric = nil
		b, _ = json.Marshal(w)
	}
	return b
}
