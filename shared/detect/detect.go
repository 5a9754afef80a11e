// Package detect is the detector's job: read CloudTrail records (from a Logs
// subscription batch or an EventBridge "AWS API Call via CloudTrail" event),
// evaluate the detection rules on each, and publish a finding per match.
package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unsafe"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/metrics"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// Match is one rule firing on one record.
type Match struct {
	Rule        string
	Title       string
	Severity    string
	Description string
	// Technique is the ATT&CK technique id; SigmaID, Author and Link
	// credit a Sigma rule. Engines may leave them to the Catalog.
	Technique string
	SigmaID   string
	Author    string
	Link      string
}

// Engine evaluates the compiled rules on a record. The rule engine (filter
// patterns, Sigma, packs) implements it; nil means no rules are loaded.
type Engine interface {
	Evaluate(rec *cloudtrail.Record, raw []byte) []Match
}

// Publisher puts findings on the watchkeeper bus.
type Publisher interface {
	Publish(ctx context.Context, source, detailType string, d alert.Detail) error
}

// maxLoggedMessage bounds how much of an invalid record a log line repeats.
const maxLoggedMessage = 256

// Service is the detector.
type Service struct {
	engine Engine
	pub    Publisher
	logger *slog.Logger
	now    func() time.Time

	thresholds    *Thresholds
	counter       WindowCounter
	dedup         FindingDedup
	dedupWindow   time.Duration
	suppressor    *Suppressor
	catalog       Catalog
	trailLogGroup string
	// audit keeps a record of each published finding (audit.go).
	audit FindingAuditor
}

// New returns the detector service. engine and pub may be nil; opts add
// thresholds, dedup, suppressions and rule information.
func New(engine Engine, pub Publisher, logger *slog.Logger, now func() time.Time, opts ...Option) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{engine: engine, pub: pub, logger: logger, now: now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Handle processes one invocation. A record that is not valid CloudTrail JSON
// is counted and logged, never fatal; a payload that cannot be decoded at all
// is an error, so the invocation is retried and then kept on the on-failure
// queue.
func (s *Service) Handle(ctx context.Context, payload json.RawMessage) (outcome.Response, error) {
	resp := outcome.Response{Function: "detector"}
	trig, err := alert.Parse(payload)
	if err != nil {
		metrics.Emit(ctx, s.logger, s.now(), map[string]string{"Function": "detector"},
			metrics.Metric{Name: "UndecodablePayloads", Value: 1})
		return resp, &alert.InputError{Function: "detector", Err: err}
	}
	resp.Trigger = string(trig.Kind)
	ctx, inv := s.begin(ctx, trig)
	counts := &outcome.Records{}
	resp.Records = counts
	var errs []error
	switch {
	case trig.Logs != nil && trig.Logs.Control:
		resp.Skipped = "CloudWatch Logs control message"
		return resp, nil
	case trig.Logs != nil:
		log := s.logger.With("log_group", trig.Logs.LogGroup, "log_stream", trig.Logs.LogStream)
		screener, _ := s.engine.(Screener)
		everyRecord := s.thresholds.readsEveryRecord()
		if everyRecord {
			screener = nil // the thresholds read every record themselves
		}
		for _, ev := range trig.Logs.Events {
			counts.Received++
			raw := bytesOf(ev.Message)
			rec, err := s.screen(screener, everyRecord, raw)
			if err != nil {
				counts.Invalid++
				log.Warn("skipping a log event that is not a CloudTrail record",
					"event_id", ev.ID, "err", err, "message", clip(ev.Message))
				continue
			}
			counts.Parsed++
			if rec != nil {
				errs = append(errs, s.evaluate(ctx, rec, raw, &resp)...)
			}
		}
	default:
		for _, a := range trig.Alerts {
			if a.Record == nil {
				continue
			}
			counts.Received++
			counts.Parsed++
			errs = append(errs, s.evaluate(ctx, a.Record, a.Raw, &resp)...)
		}
		if counts.Received == 0 {
			return resp, fmt.Errorf("detector expects CloudTrail records (a Logs subscription batch or an AWS API Call via CloudTrail event), got a %s trigger", trig.Kind)
		}
	}
	errs = append(errs, s.finish(ctx, inv, &resp)...)
	metrics.Emit(ctx, s.logger, s.now(), map[string]string{"Function": "detector"},
		metrics.Metric{Name: "RecordsReceived", Value: float64(counts.Received)},
		metrics.Metric{Name: "RecordsInvalid", Value: float64(counts.Invalid)},
		metrics.Metric{Name: "Findings", Value: float64(len(resp.Findings))})
	return resp, errors.Join(errs...)
}

func (s *Service) evaluate(ctx context.Context, rec *cloudtrail.Record, raw []byte, resp *outcome.Response) []error {
	inv := invocationFrom(ctx)
	if inv == nil {
		// Called outside Handle: act on this record alone.
		ctx, inv = s.begin(ctx, nil)
		defer func() { _ = s.finish(ctx, inv, resp) }()
	}
	var matches []Match
	if s.engine != nil {
		matches = s.engine.Evaluate(rec, raw)
	}
	if len(matches) == 0 && s.thresholds.Len() == 0 {
		return nil
	}
	v := &recordView{rec: rec, raw: raw}
	var matched map[string]bool
	for _, m := range matches {
		if strings.HasPrefix(m.Rule, thresholdRulePrefix) {
			if matched == nil {
				matched = map[string]bool{}
			}
			matched[m.Rule] = true
			continue
		}
		s.catalog.enrich(&m)
		if s.suppress(ctx, inv, m.Rule, v) {
			continue
		}
		inv.matches[m.Rule]++
		if matched == nil {
			matched = map[string]bool{}
		}
		matched[m.Rule] = true
		s.addFinding(inv, m, rec, claimID(rec.EventID, raw), resp)
	}
	s.thresholds.observe(inv, v, matched, s.now(), func(rule string) bool { return s.suppress(ctx, inv, rule, v) })
	return nil
}

// screen checks one record of a Logs batch and parses it when a rule may
// fire on it; a nil record with a nil error means no rule does. Most records
// are only scanned (cloudtrail.Scan, the engine's Screen), several times
// faster than cloudtrail.Parse. So a record with a mistyped field (an eventTime
// that is not RFC 3339) is invalid only when a rule matched it and the parse
// fails; with no rule to run it was not needed. everyRecord (a threshold
// selects records itself) parses every record.
func (s *Service) screen(screener Screener, everyRecord bool, raw []byte) (*cloudtrail.Record, error) {
	switch {
	case s.engine == nil && !everyRecord:
		_, err := cloudtrail.Scan(raw)
		return nil, err
	case screener != nil:
		if hit, err := screener.Screen(raw); err != nil || !hit {
			return nil, err
		}
	}
	return cloudtrail.Parse(raw)
}

// bytesOf is s as a byte slice without copying; callers only read it.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func clip(s string) string {
	if len(s) <= maxLoggedMessage {
		return s
	}
	return s[:maxLoggedMessage] + "…"
}
