package localrun

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// DemoReport is what `make demo` did, the input of RenderSummary.
type DemoReport struct {
	// OutDir is where file channels wrote, as shown to the reader (e.g. "out/").
	OutDir string
	// Functions are the functions in the order they ran.
	Functions []DemoFunction
	// SecurityGroup is the seeded group's world rule before and after the remediator.
	SecurityGroup *SecurityGroupCheck
	// Malformed shows one malformed sample being rejected.
	Malformed *MalformedCheck
	// LogDir is where the functions' logs went, if to files.
	LogDir string
}

// DemoFunction is one function's part of the demo.
type DemoFunction struct {
	Name string
	// Note says why nothing ran (not built yet, no sample events).
	Note string
	// Invocations are its events, in file order.
	Invocations []DemoInvocation
}

// DemoInvocation is one sample event replayed.
type DemoInvocation struct {
	// Event is the file name within events/<function>/.
	Event string
	// Response is the function's answer; nil when it failed.
	Response *outcome.Response
	// Error is the function's error ("Type: message") or the harness's.
	Error string
}

// SecurityGroupCheck is a seeded group's world-open rule, observed in moto.
type SecurityGroupCheck struct {
	Name       string
	ID         string
	Port       int32
	OpenBefore bool
	OpenAfter  bool
	// Error is set when the group could not be read.
	Error string
}

// MalformedCheck is one malformed sample sent to a function.
type MalformedCheck struct {
	// Event is the path within the events directory.
	Event    string
	Function string
	// Rejected is true when Lambda or the function refused it with an error.
	Rejected bool
	// Message is the error, or what the function answered instead.
	Message string
}

// Totals are the demo's headline numbers.
type Totals struct {
	Events, Failed                     int
	Alerts, Messages, Findings         int
	Planned, Applied, RemediationsMore int
	Duplicates, Skipped                int
}

// Totals adds up every response of the report.
func (r *DemoReport) Totals() Totals {
	var t Totals
	for _, f := range r.Functions {
		for _, inv := range f.Invocations {
			t.Events++
			if inv.Response == nil {
				t.Failed++
				continue
			}
			resp := inv.Response
			t.Alerts += len(resp.Alerts)
			for _, d := range resp.Deliveries {
				if d.Status == "written" || d.Status == "sent" {
					t.Messages++
				}
			}
			for _, fd := range resp.Findings {
				if !fd.Deduplicated {
					t.Findings++
				}
			}
			for _, rem := range resp.Remediations {
				switch rem.Outcome {
				case "planned":
					t.Planned++
				case "applied":
					t.Applied++
				default:
					t.RemediationsMore++
				}
			}
			t.Duplicates += resp.Duplicates
			if resp.Skipped != "" {
				t.Skipped++
			}
		}
	}
	return t
}

// Style is how RenderSummary decorates text.
type Style struct {
	// Color adds ANSI bold/colour; only for a terminal.
	Color bool
}

func (s Style) wrap(code, text string) string {
	if !s.Color || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s Style) bold(t string) string  { return s.wrap("1", t) }
func (s Style) dim(t string) string   { return s.wrap("2", t) }
func (s Style) red(t string) string   { return s.wrap("31", t) }
func (s Style) green(t string) string { return s.wrap("32", t) }

// detailWidth caps the free-text column so rows stay on one terminal line.
const detailWidth = 72

// RenderSummary writes the demo's summary: per function a table of what each
// event became (alerts, deliveries, findings, remediations, duplicates,
// skips, errors), the security group before and after the remediator, the
// malformed sample's rejection, and the totals.
func RenderSummary(w io.Writer, r *DemoReport, st Style) error {
	p := &printer{w: w}
	n := 0
	for _, f := range r.Functions {
		n += len(f.Invocations)
	}
	p.line(st.bold("Watchkeeper demo") + fmt.Sprintf(" — %s replayed through %s against a local account (moto)",
		plural(n, "event"), plural(len(r.Functions), "function")))
	for _, f := range r.Functions {
		p.line("")
		renderFunction(p, f, st)
		if f.Name == "remediator" && r.SecurityGroup != nil {
			renderSecurityGroup(p, r.SecurityGroup, st)
		}
	}
	if r.SecurityGroup != nil && !hasFunction(r, "remediator") {
		p.line("")
		renderSecurityGroup(p, r.SecurityGroup, st)
	}
	if m := r.Malformed; m != nil {
		p.line("")
		p.line(st.bold("Malformed input"))
		verdict := st.green("rejected")
		if !m.Rejected {
			verdict = st.red("NOT rejected")
		}
		p.line(fmt.Sprintf("  %s → %s: %s", m.Event, m.Function, verdict))
		p.line("    " + clip(m.Message, 2*detailWidth))
	}
	p.line("")
	renderTotals(p, r, st)
	return p.err
}

func hasFunction(r *DemoReport, name string) bool {
	for _, f := range r.Functions {
		if f.Name == name {
			return true
		}
	}
	return false
}

func renderFunction(p *printer, f DemoFunction, st Style) {
	head := st.bold(f.Name)
	if f.Note != "" {
		p.line(head + " — " + f.Note)
		return
	}
	p.line(head + " — " + plural(len(f.Invocations), "event"))
	if len(f.Invocations) == 0 {
		return
	}
	var tbl table
	row := tbl.add
	row(st.dim("EVENT"), st.dim("TRIGGER"), st.dim("RESULT"), "", "", st.dim("DETAIL"))
	for _, inv := range f.Invocations {
		ev, trig := inv.Event, "-"
		first := true
		emit := func(kind, a, b, detail string) {
			if !first {
				ev, trig = "", ""
			}
			row(ev, trig, kind, a, b, clip(detail, detailWidth))
			first = false
		}
		if inv.Response == nil {
			emit(st.red("error"), "", "", inv.Error)
			continue
		}
		resp := inv.Response
		if resp.Trigger != "" {
			trig = resp.Trigger
		}
		if rc := resp.Records; rc != nil {
			emit("records", strconv.Itoa(rc.Received), "received", fmt.Sprintf("%d parsed, %d invalid", rc.Parsed, rc.Invalid))
		}
		for _, a := range resp.Alerts {
			emit("alert", a.State, a.Severity, a.Title)
		}
		for _, d := range resp.Deliveries {
			detail := d.Location
			if d.Error != "" {
				detail = d.Error
			}
			if detail != "" {
				detail = "→ " + detail
			}
			emit("message", d.Channel, d.Status, detail)
		}
		for _, fd := range resp.Findings {
			detail := fd.Title
			if fd.Resource != "" {
				detail += " (" + fd.Resource + ")"
			}
			if fd.Deduplicated {
				detail = "already reported: " + detail
			}
			emit("finding", fd.Severity, fd.Rule, detail)
		}
		for _, rem := range resp.Remediations {
			detail := rem.Resource
			if rem.Detail != "" {
				detail += ": " + rem.Detail
			}
			outcomeText := rem.Outcome
			if rem.Outcome == "applied" {
				outcomeText = st.green(rem.Outcome)
			} else if rem.Outcome == "failed" {
				outcomeText = st.red(rem.Outcome)
			}
			emit("remediation", outcomeText, rem.Action, detail)
		}
		if resp.Duplicates > 0 {
			emit("duplicate", strconv.Itoa(resp.Duplicates), "", "already handled, not sent again")
		}
		if resp.Skipped != "" {
			emit("skipped", "", "", resp.Skipped)
		}
		if first {
			emit(st.dim("nothing"), "", "", "no alerts, findings or actions")
		}
	}
	tbl.render(p, "  ", 2)
}

func renderSecurityGroup(p *printer, sg *SecurityGroupCheck, st Style) {
	rule := fmt.Sprintf("%s → tcp/%d", WorldCIDR, sg.Port)
	name := fmt.Sprintf("security group %s (%s)", sg.Name, sg.ID)
	var state string
	switch {
	case sg.Error != "":
		state = st.red("could not be read: " + sg.Error)
	case sg.OpenBefore && !sg.OpenAfter:
		state = st.green("removed") + " by the remediator (it was open before)"
	case sg.OpenBefore && sg.OpenAfter:
		state = "still open (dry-run or not remediated)"
	case !sg.OpenBefore && !sg.OpenAfter:
		state = "was never open"
	default:
		state = st.red("opened during the run")
	}
	p.line(fmt.Sprintf("  moto: %s: %s %s", name, rule, state))
}

func renderTotals(p *printer, r *DemoReport, st Style) {
	t := r.Totals()
	out := r.OutDir
	if out == "" {
		out = "out/"
	}
	p.line(st.bold("Totals"))
	p.line(fmt.Sprintf("  %s routed, %s rendered in %s, %s raised, %s planned, %d applied",
		plural(t.Alerts, "alert"), plural(t.Messages, "message"), out,
		plural(t.Findings, "finding"), plural(t.Planned, "remediation"), t.Applied))
	rest := fmt.Sprintf("  %s replayed, %s skipped, %s needed no work",
		plural(t.Events, "event"), plural(t.Duplicates, "duplicate"), plural(t.Skipped, "event"))
	if t.Failed > 0 {
		rest += ", " + st.red(plural(t.Failed, "event")+" failed")
	} else {
		rest += ", none failed"
	}
	p.line(rest)
	if r.LogDir != "" {
		p.line(st.dim("  function logs: " + r.LogDir))
	}
}

// plural renders "1 alert" / "3 alerts" (and "deliveries" for delivery).
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return strconv.Itoa(n) + " " + noun[:len(noun)-1] + "ies"
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// clip shortens s to n runes, on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// printer writes lines and remembers the first error.
type printer struct {
	w   io.Writer
	err error
}

// Write implements io.Writer, failing fast after the first error.
func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

func (p *printer) line(s string) { _, _ = io.WriteString(p, s+"\n") }

// table aligns columns by their visible width (colour codes take no room,
// which text/tabwriter cannot know).
type table struct{ rows [][]string }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) render(p *printer, indent string, gap int) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], visibleLen(c))
		}
	}
	for _, r := range t.rows {
		var b strings.Builder
		b.WriteString(indent)
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 && widths[i] > 0 {
				b.WriteString(strings.Repeat(" ", widths[i]-visibleLen(c)+gap))
			}
		}
		p.line(strings.TrimRight(b.String(), " "))
	}
}

// visibleLen counts the runes of s that show, skipping ANSI SGR sequences.
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			if j := strings.IndexByte(s[i:], 'm'); j >= 0 {
				i += j + 1
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}
