// Package sweep is the sweeper's job: run a scheduled job (posture sweep,
// heartbeat, …) and publish what it finds on the watchkeeper bus.
package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// Publisher puts findings on the watchkeeper bus. *bus.Publisher implements it.
type Publisher interface {
	Publish(ctx context.Context, source, detailType string, d alert.Detail) error
}

// Finding is one problem a job found.
type Finding struct {
	Rule        string
	Severity    string
	Title       string
	Description string
	Resource    alert.Resource
}

// Job runs one kind of scheduled work.
type Job func(ctx context.Context, req *alert.JobRequest) ([]Finding, error)

// Service dispatches job requests to jobs.
type Service struct {
	jobs   map[string]Job
	pub    Publisher
	logger *slog.Logger
	now    func() time.Time
	// events handles resource events a rule sends the sweeper; nil refuses them.
	events EventHandler
	// dedup keeps findings already published quiet; nil publishes every one.
	dedup *findingDedup
	// audit records each published finding; nil records none.
	audit auditWriter
}

// New returns a service running jobs; pub may be nil (findings are returned, not published).
func New(jobs map[string]Job, pub Publisher, logger *slog.Logger, now func() time.Time) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Service{jobs: jobs, pub: pub, logger: logger, now: now}
}

// Handle runs the job the payload asks for. An unknown job or a payload that
// is not a job request is an error: a schedule pointing at nothing must be
// seen, not silently succeed.
func (s *Service) Handle(ctx context.Context, payload json.RawMessage) (outcome.Response, error) {
	resp := outcome.Response{Function: "sweeper"}
	trig, err := alert.Parse(payload)
	if err != nil {
		return resp, &alert.InputError{Function: "sweeper", Err: err}
	}
	resp.Trigger = string(trig.Kind)
	if trig.Job == nil && s.events != nil && trig.Kind == alert.KindEventBridge {
		return resp, s.events(ctx, trig)
	}
	if trig.Job == nil {
		return resp, fmt.Errorf("sweeper expects a job request ({\"job\": ...} or a Scheduled Event), got a %s trigger", trig.Kind)
	}
	job, ok := s.jobs[trig.Job.Job]
	if !ok {
		return resp, fmt.Errorf("unknown job %q (jobs: %s)", trig.Job.Job, strings.Join(s.JobNames(), ", "))
	}
	log := s.logger.With("job", trig.Job.Job, "run", trig.Job.ID)
	start := s.now()
	findings, err := job(ctx, trig.Job)
	if err != nil {
		return resp, fmt.Errorf("job %s: %w", trig.Job.Job, err)
	}
	log.Info("job finished", "findings", len(findings), "duration_ms", s.now().Sub(start).Milliseconds())
	var errs []error
	var renotify time.Duration
	if s.dedup != nil {
		if renotify, err = s.dedup.periodFor(trig.Job); err != nil {
			return resp, err
		}
	}
	quiet := 0
	for _, f := range findings {
		of := outcome.Finding{Rule: f.Rule, Severity: f.Severity, Title: f.Title, Resource: f.Resource.Name()}
		if s.dedup != nil && s.pub != nil {
			seen, err := s.dedup.seen(ctx, f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if seen {
				// Reported before and not due again: listed, not published.
				quiet++
				of.Deduplicated = true
				resp.Findings = append(resp.Findings, of)
				continue
			}
		}
		if s.pub != nil {
			d := alert.Detail{
				SchemaVersion: alert.DetailSchemaVersion,
				AlertID:       alert.FindingID(f.Rule, firstNonEmpty(f.Resource.ARN, f.Resource.ID)),
				Rule:          f.Rule,
				Severity:      f.Severity,
				Title:         f.Title,
				Description:   f.Description,
				Resources:     []alert.Resource{f.Resource},
				Time:          s.now().UTC(),
			}
			if err := s.pub.Publish(ctx, alert.SourceSweeper, alert.DetailTypeFinding, d); err != nil {
				errs = append(errs, fmt.Errorf("publish finding %s on %s: %w", f.Rule, f.Resource.Name(), err))
			} else {
				of.Published = true
				if s.dedup != nil {
					if err := s.dedup.mark(ctx, f, renotify); err != nil {
						errs = append(errs, err)
					}
				}
				if s.audit != nil {
					if err := s.auditFinding(ctx, f, d.Time); err != nil {
						errs = append(errs, err)
					}
				}
			}
		}
		resp.Findings = append(resp.Findings, of)
	}
	if quiet > 0 {
		log.Info("findings already reported", "quiet", quiet, "renotify_after", renotify.String())
	}
	return resp, errors.Join(errs...)
}

// JobNames lists the jobs this service runs, sorted.
func (s *Service) JobNames() []string {
	names := make([]string, 0, len(s.jobs))
	for n := range s.jobs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
