package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// The suite's internal event contract: what the detector, sweeper and
// remediator put on the custom bus and the notifier and remediator consume.
// Change it only by bumping DetailSchemaVersion.
const (
	// BusName is the default name of the suite's EventBridge bus.
	BusName = "watchkeeper"

	// Event sources, one per publishing function.
	SourceDetector   = "watchkeeper.detector"
	SourceSweeper    = "watchkeeper.sweeper"
	SourceRemediator = "watchkeeper.remediator"

	// Detail types.
	DetailTypeFinding     = "Watchkeeper Finding"
	DetailTypeRemediation = "Watchkeeper Remediation"
	DetailTypeReminder    = "Watchkeeper Reminder"

	// DetailSchemaVersion is the version of Detail this build writes and reads.
	DetailSchemaVersion = 1
)

// MaxPutEventsEntryBytes is the PutEvents limit on one entry, counted as the
// UTF-8 bytes of Source, DetailType, Detail and each Resources ARN (plus 14
// for Time, which entries here never set).
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
const MaxPutEventsEntryBytes = 256 * 1024

// Remediation modes and outcomes.
const (
	ModeDryRun  = "dry-run"
	ModeEnforce = "enforce"

	OutcomeApplied = "applied"
	OutcomePlanned = "planned"
	OutcomeSkipped = "skipped"
	OutcomeFailed  = "failed"
)

// ErrEntryTooLarge: the entry exceeds MaxPutEventsEntryBytes even with the
// record's request and response dropped.
var ErrEntryTooLarge = errors.New("event entry exceeds the PutEvents size limit")

// Detail is the detail of every watchkeeper.* event.
type Detail struct {
	// SchemaVersion must be DetailSchemaVersion.
	SchemaVersion int `json:"schema_version"`
	// AlertID ties remediations and reminders to the alert (finding or alarm)
	// they are about; findings may leave it empty (derived from Rule and the
	// first resource).
	AlertID string `json:"alert_id,omitempty"`
	// Rule is the detection rule, remediation rule or sweeper job that raised
	// the event.
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// State of the reminded alert (reminders only).
	State     State             `json:"state,omitempty"`
	Resources []Resource        `json:"resources,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	// Record is the triggering CloudTrail record, when there is one.
	Record *TrailRecord `json:"record,omitempty"`
	Links  []Link       `json:"links,omitempty"`
	// Remediation is set on remediation events.
	Remediation *Remediation `json:"remediation,omitempty"`
	// Time the finding was made or the action taken.
	Time time.Time `json:"time,omitzero"`
	// Truncated is true when request parameters or response elements were
	// dropped to fit the PutEvents size limit.
	Truncated bool `json:"truncated,omitempty"`
	// Technique is the MITRE ATT&CK technique id of the rule (T1562.008);
	// readers set it as the technique label.
	Technique string `json:"technique,omitempty"`
	// SigmaID is the Sigma rule's own id (a UUID) when Rule is "sigma:<file stem>".
	SigmaID string `json:"sigma_id,omitempty"`
	// Author of the rule, which Sigma's Detection Rule License requires findings to carry.
	Author string `json:"author,omitempty"`
	// Count and Window are set on threshold findings: how many records
	// matched within which window (a Go duration).
	Count  int    `json:"count,omitempty"`
	Window string `json:"window,omitempty"`
	// More is how many findings of the same rule and subject the detector
	// held back (dedup) in the window starting at MoreSince.
	More      int64     `json:"more,omitempty"`
	MoreSince time.Time `json:"more_since,omitzero"`
	// Reminder is set on reminder events (see reminder.go).
	Reminder *Reminder `json:"reminder,omitempty"`
	// Group is set on group flush events (see reminder.go).
	Group *Group `json:"group,omitempty"`
	// Digest is set on digest events (see digest.go).
	Digest *DigestSummary `json:"digest,omitempty"`
}

// TrailRecord is the part of a CloudTrail record the contract carries:
// enough to explain and act on a finding without the rest of the log.
type TrailRecord struct {
	Actor       Actor     `json:"actor"`
	SourceIP    string    `json:"source_ip,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	EventID     string    `json:"event_id,omitempty"`
	EventName   string    `json:"event_name"`
	EventSource string    `json:"event_source"`
	EventTime   time.Time `json:"event_time,omitzero"`
	Region      string    `json:"region,omitempty"`
	Account     string    `json:"account,omitempty"`
	ErrorCode   string    `json:"error_code,omitempty"`
	// RequestParameters and ResponseElements are the record's raw JSON.
	RequestParameters json.RawMessage `json:"request_parameters,omitempty"`
	ResponseElements  json.RawMessage `json:"response_elements,omitempty"`
}

// Actor is who made the call.
type Actor struct {
	ARN         string `json:"arn,omitempty"`
	UserName    string `json:"user_name,omitempty"`
	Type        string `json:"type,omitempty"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	// Name is cloudtrail.Record.Actor(): the readable principal.
	Name string `json:"name,omitempty"`
}

// Remediation describes one remediation decision.
type Remediation struct {
	Action string `json:"action"`
	// Mode is ModeDryRun or ModeEnforce.
	Mode string `json:"mode"`
	// Outcome is one of the Outcome* constants.
	Outcome string `json:"outcome"`
	// Guardrail names the guardrail that skipped the action.
	Guardrail string `json:"guardrail,omitempty"`
	// Message says what changed, would change, or why nothing did.
	Message string `json:"message,omitempty"`
	// Undo says how to reverse an applied action (a command or steps).
	Undo string `json:"undo,omitempty"`
}

// TrailRecordFrom summarizes a CloudTrail record for the contract.
func TrailRecordFrom(r *cloudtrail.Record) *TrailRecord {
	if r == nil {
		return nil
	}
	u := r.UserIdentity
	return &TrailRecord{
		Actor:    Actor{ARN: u.ARN, UserName: u.UserName, Type: u.Type, AccessKeyID: u.AccessKeyID, Name: r.Actor()},
		SourceIP: r.SourceIPAddress, UserAgent: r.UserAgent,
		EventID: r.EventID, EventName: r.EventName, EventSource: r.EventSource, EventTime: r.EventTime,
		Region: r.AWSRegion, Account: r.Account(), ErrorCode: r.ErrorCode,
		RequestParameters: nullToEmpty(r.RequestParameters), ResponseElements: nullToEmpty(r.ResponseElements),
	}
}

// CloudTrail rebuilds the fields of a CloudTrail record the summary kept.
func (t *TrailRecord) CloudTrail() *cloudtrail.Record {
	if t == nil {
		return nil
	}
	return &cloudtrail.Record{
		UserIdentity: cloudtrail.UserIdentity{ARN: t.Actor.ARN, UserName: t.Actor.UserName, Type: t.Actor.Type,
			AccessKeyID: t.Actor.AccessKeyID, AccountID: t.Account},
		SourceIPAddress: t.SourceIP, UserAgent: t.UserAgent,
		EventID: t.EventID, EventName: t.EventName, EventSource: t.EventSource, EventTime: t.EventTime,
		AWSRegion: t.Region, RecipientAccountID: t.Account, ErrorCode: t.ErrorCode,
		RequestParameters: t.RequestParameters, ResponseElements: t.ResponseElements,
	}
}

func nullToEmpty(b json.RawMessage) json.RawMessage {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	return b
}

// PutEventsEntry is one PutEvents request entry, free of SDK types; the
// publisher copies it into types.PutEventsRequestEntry.
type PutEventsEntry struct {
	EventBusName string
	Source       string
	DetailType   string
	Detail       string
	Resources    []string
}

// Size is the entry size as PutEvents counts it.
func (e PutEventsEntry) Size() int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// NewPutEventsEntry builds the entry for one internal event. When the entry
// would exceed MaxPutEventsEntryBytes it drops the record's response
// elements, then its request parameters, marking the detail truncated; if it
// is still too large it returns ErrEntryTooLarge.
func NewPutEventsEntry(busName, source, detailType string, d Detail) (PutEventsEntry, error) {
	if !strings.HasPrefix(source, watchkeeperSourcePrefix) {
		return PutEventsEntry{}, fmt.Errorf("event entry: source %q is not a watchkeeper.* source", source)
	}
	if detailType == "" {
		return PutEventsEntry{}, fmt.Errorf("event entry: empty detail type")
	}
	d.SchemaVersion = DetailSchemaVersion
	if d.Record != nil {
		rec := *d.Record // trimming must not change the caller's record
		d.Record = &rec
	}
	e := PutEventsEntry{EventBusName: busName, Source: source, DetailType: detailType}
	for _, r := range d.Resources {
		if strings.HasPrefix(r.ARN, "arn:") {
			e.Resources = append(e.Resources, r.ARN)
		}
	}
	for step := 0; ; step++ {
		detail, err := marshalDetail(&d)
		if err != nil {
			return PutEventsEntry{}, fmt.Errorf("event entry: %w", err)
		}
		e.Detail = detail
		size := e.Size()
		if size <= MaxPutEventsEntryBytes {
			return e, nil
		}
		switch {
		case d.Record != nil && len(d.Record.ResponseElements) > 0:
			d.Record.ResponseElements = nil
		case d.Record != nil && len(d.Record.RequestParameters) > 0:
			d.Record.RequestParameters = nil
		default:
			return PutEventsEntry{}, fmt.Errorf("event entry %q: %w: %d bytes > %d", truncate(d.Title, 80), ErrEntryTooLarge, size, MaxPutEventsEntryBytes)
		}
		d.Truncated = true
	}
}

func marshalDetail(d *Detail) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return "", err
	}
	return string(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// watchkeeperAlerts turns one of the suite's own events into an alert.
func watchkeeperAlerts(ev *eventBridgeEvent) ([]Alert, error) {
	switch ev.Source {
	case SourceDetector, SourceSweeper, SourceRemediator:
	default:
		return nil, fmt.Errorf("unknown watchkeeper source %q", truncate(ev.Source, 60))
	}
	var d Detail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return nil, fmt.Errorf("detail: %w", err)
	}
	if d.SchemaVersion != DetailSchemaVersion {
		return nil, fmt.Errorf("detail schema_version %d, this build reads %d", d.SchemaVersion, DetailSchemaVersion)
	}
	at, err := parseTime(ev.Time)
	if err != nil {
		return nil, fmt.Errorf("time: %w", err)
	}
	if !d.Time.IsZero() {
		at = d.Time
	}
	a := &Alert{
		Source:      ev.Source,
		Title:       d.Title,
		Description: d.Description,
		Severity:    NormalizeSeverity(d.Severity),
		Time:        at,
		Resources:   d.Resources,
		Links:       d.Links,
		Raw:         ev.Detail,
		Record:      d.Record.CloudTrail(),
	}
	for k, v := range d.Labels {
		a.setLabel(k, v)
	}
	a.setLabel(LabelTechnique, d.Technique)
	if d.Rule == "" {
		return nil, fmt.Errorf("detail: missing rule")
	}
	switch ev.DetailType {
	case DetailTypeFinding:
		a.State = StateFinding
	case DetailTypeRemediation:
		if d.Remediation == nil {
			return nil, fmt.Errorf("detail: remediation event without remediation")
		}
		a.State = StateFinding
		if d.Remediation.Outcome == OutcomeApplied {
			a.State, a.PreviousState = StateRemediated, StateFinding
		}
		a.Reason = d.Remediation.Message
		a.setLabel(LabelAction, d.Remediation.Action)
		a.setLabel(LabelMode, d.Remediation.Mode)
		a.setLabel(LabelOutcome, d.Remediation.Outcome)
		a.setLabel(LabelGuardrail, d.Remediation.Guardrail)
	case DetailTypeReminder:
		if err := reminderFields(a, &d); err != nil {
			return nil, err
		}
	case DetailTypeGroup:
		if err := groupFields(a, &d); err != nil {
			return nil, err
		}
	case DetailTypeDigest:
		if err := digestFields(a, &d); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown watchkeeper detail-type (want %q, %q, %q, %q or %q)", DetailTypeFinding, DetailTypeRemediation, DetailTypeReminder, DetailTypeGroup, DetailTypeDigest)
	}
	if a.Severity == "" {
		return nil, fmt.Errorf("detail: severity %q is not one of %s", truncate(d.Severity, 20), strings.Join(Severities(), ", "))
	}
	a.ID = d.AlertID
	if a.ID == "" {
		first := ""
		if len(d.Resources) > 0 {
			first = firstNonEmpty(d.Resources[0].ARN, d.Resources[0].ID)
		}
		a.ID = FindingID(d.Rule, first)
	}
	if ev.Source == SourceSweeper {
		a.setLabel(LabelJob, d.Rule)
	}
	a.setLabel(LabelRule, d.Rule)
	a.setLabel(LabelAccount, ev.Account)
	a.setLabel(LabelRegion, ev.Region)
	a.setLabel(LabelDetailType, ev.DetailType)
	if r := d.Record; r != nil {
		a.setLabel(LabelEventName, r.EventName)
		a.setLabel(LabelEventSource, r.EventSource)
		a.setLabel(LabelActor, r.Actor.Name)
		a.setLabel(LabelActorType, r.Actor.Type)
		a.setLabel(LabelSourceIP, r.SourceIP)
		a.setLabel(LabelErrorCode, r.ErrorCode)
		if a.Label(LabelAccount) == "" {
			a.setLabel(LabelAccount, r.Account)
		}
	}
	a.finish()
	return []Alert{*a}, nil
}

// FindingID is the alert id of a finding of rule on resource (an ARN or id):
// publishers that set Detail.AlertID should use it so findings, their
// remediations and reminders share one thread.
func FindingID(rule, resource string) string {
	return MakeID("watchkeeper", rule, resource)
}

// FindingFromRecord is the Detail of a detection rule's finding on a
// CloudTrail record: the record summary, the resources it names, a link to
// the event and an AlertID tying later remediations to the finding.
func FindingFromRecord(rule, severity, title, description string, rec *cloudtrail.Record) Detail {
	d := Detail{
		SchemaVersion: DetailSchemaVersion,
		Rule:          rule,
		Severity:      severity,
		Title:         title,
		Description:   description,
		Record:        TrailRecordFrom(rec),
	}
	if rec == nil {
		d.AlertID = FindingID(rule, "")
		return d
	}
	d.Resources = ResourcesFromRecord(rec)
	d.Time = rec.EventTime.UTC()
	first := ""
	if len(d.Resources) > 0 {
		first = firstNonEmpty(d.Resources[0].ARN, d.Resources[0].ID)
	}
	d.AlertID = FindingID(rule, first)
	if u := rec.ConsoleURL(); u != "" {
		d.Links = []Link{{Title: "Event in CloudTrail", URL: u}}
	}
	return d
}
