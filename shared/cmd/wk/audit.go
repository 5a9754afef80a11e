package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/silence"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// maxAuditSpan bounds how far wk audit reads: the time index is queried one
// UTC day at a time.
const maxAuditSpan = 31 * 24 * time.Hour

// maxAuditSummary bounds the summary column; -json has everything.
const maxAuditSummary = 80

const auditUsage = `usage:
  wk audit [-since 24h | -from <RFC 3339> [-to <RFC 3339>]] [-kind notification|finding|remediation] [-json] [-stack <name> | -table <name>]
Lists the audit records of a deployed stack's table, oldest first: notifications, detector and sweeper
findings, remediation decisions. -since takes a Go duration or days (7d); at most 31 days.
`

// auditRecordJSON is one record as -json prints it.
type auditRecordJSON struct {
	Time   time.Time         `json:"time"`
	Kind   string            `json:"kind"`
	ID     string            `json:"id"`
	Fields map[string]string `json:"fields"`
}

// runAudit lists audit records between two times, with the caller's AWS
// credentials and region.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage); fs.PrintDefaults() }
	since := fs.String("since", "24h", "how far back from now: a Go duration (90m, 24h) or days (7d)")
	from := fs.String("from", "", "start, RFC 3339 (instead of -since)")
	to := fs.String("to", "", "end, RFC 3339 (default now)")
	var kinds stringList
	fs.Var(&kinds, "kind", "only records of this kind: notification, finding, remediation (repeat for more)")
	asJSON := fs.Bool("json", false, "print one JSON object per record instead of a table")
	tf := addTableFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitHarness
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "wk audit: "+format+"\n", a...)
		return exitHarness
	}
	if len(pos) > 0 {
		return usageErr("unexpected arguments %q", pos)
	}
	start, end, err := auditSpan(time.Now().UTC(), *since, *from, *to)
	if err != nil {
		return usageErr("%v", err)
	}
	store, err := tf.openStore(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "wk audit: %v\n", err)
		return exitFunctionError
	}
	records, err := store.AuditBetween(ctx, start, end)
	if err != nil {
		fmt.Fprintf(stderr, "wk audit: %v\n", err)
		return exitFunctionError
	}
	records = filterKinds(records, kinds)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range records {
			if err := enc.Encode(auditRecordJSON{Time: r.Time.UTC(), Kind: r.Kind, ID: r.ID, Fields: r.Fields}); err != nil {
				fmt.Fprintf(stderr, "wk audit: %v\n", err)
				return exitHarness
			}
		}
	} else if err := writeAuditTable(stdout, records); err != nil {
		fmt.Fprintf(stderr, "wk audit: %v\n", err)
		return exitHarness
	}
	if len(records) == 0 {
		fmt.Fprintf(stderr, "no audit records from %s to %s\n", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return exitOK
}

// auditSpan is the [start, end) the flags ask for.
func auditSpan(now time.Time, since, from, to string) (start, end time.Time, err error) {
	end = now
	if to != "" {
		if end, err = time.Parse(time.RFC3339, to); err != nil {
			return start, end, fmt.Errorf("-to %q is not an RFC 3339 time (e.g. 2026-11-26T18:00:00Z)", to)
		}
	}
	if from != "" {
		if start, err = time.Parse(time.RFC3339, from); err != nil {
			return start, end, fmt.Errorf("-from %q is not an RFC 3339 time (e.g. 2026-11-19T00:00:00Z)", from)
		}
	} else {
		d, err := parseDuration(since)
		if err != nil {
			return start, end, fmt.Errorf("-since: %w", err)
		}
		start = end.Add(-d)
	}
	if !start.Before(end) {
		return start, end, fmt.Errorf("the span %s to %s is empty", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	if end.Sub(start) > maxAuditSpan {
		return start, end, fmt.Errorf("the span %s is over %d days; list a shorter one", end.Sub(start).Round(time.Minute), int(maxAuditSpan.Hours()/24))
	}
	return start.UTC(), end.UTC(), nil
}

func filterKinds(records []state.AuditRecord, kinds []string) []state.AuditRecord {
	if len(kinds) == 0 {
		return records
	}
	return slices.DeleteFunc(records, func(r state.AuditRecord) bool { return !slices.Contains(kinds, r.Kind) })
}

// writeAuditTable prints one line per record. Every value came from the
// account (CloudTrail, resource names), so each cell is kept to one line
// without control characters.
func writeAuditTable(w io.Writer, records []state.AuditRecord) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKIND\tSOURCE\tSEVERITY\tACCOUNT\tRULE\tOUTCOME\tSUMMARY")
	for _, r := range records {
		f := r.Fields
		source := strings.TrimPrefix(f["source"], "watchkeeper.")
		outcome := cmp.Or(f["outcome"], f["status"], "-")
		summary := cmp.Or(f["title"], f["detail"], f["resource"], r.ID)
		if ev := f["event_name"]; ev != "" {
			summary = ev + " by " + cmp.Or(f["actor"], "?")
		}
		if cs := f["channel_status"]; cs != "" {
			summary = cmp.Or(f["title"], r.ID) + " → " + cs
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339), cell(r.Kind), cell(cmp.Or(source, "-")),
			cell(cmp.Or(f["severity"], "-")), cell(cmp.Or(f["account"], "-")), cell(cmp.Or(f["rule"], "-")), cell(outcome), cell(clipCell(summary)))
	}
	return tw.Flush()
}

func clipCell(s string) string {
	r := []rune(s)
	if len(r) <= maxAuditSummary {
		return s
	}
	return string(r[:maxAuditSummary-1]) + "…"
}

// openStore builds the state store from the SDK's usual environment.
func (tf tableFlags) openStore(ctx context.Context) (*state.Store, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS config: %w", err)
	}
	name := *tf.table
	if name == "" {
		if name, err = silence.TableFromStack(ctx, cloudformation.NewFromConfig(cfg), *tf.stack); err != nil {
			return nil, err
		}
	}
	return state.NewStore(dynamodb.NewFromConfig(cfg), name, nil), nil
}
