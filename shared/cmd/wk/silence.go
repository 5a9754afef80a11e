package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/silence"
)

// maxSilence is the longest silence wk adds without -force: a forgotten
// silence is an outage nobody hears about.
const maxSilence = 30 * 24 * time.Hour

const silenceUsage = `usage:
  wk silence add -matcher <m> [-matcher <m> …] (-duration 2h | -until <RFC 3339>) -comment <text> [-author <name>] [-start <RFC 3339>] [-force]
  wk silence list [-all]
  wk silence expire <id>
Every subcommand takes -stack <name> (the table is read from its StateTableName output) or -table <name>.
Matchers use the route syntax: alarm=~"web-.*", env!=prod. Author defaults to $USER; durations over 30 days need -force.
`

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// runSilence adds, lists and expires dynamic silences in a deployed stack's
// table, with the caller's AWS credentials and region.
func runSilence(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, silenceUsage)
		return exitHarness
	}
	switch args[0] {
	case "add":
		return silenceAdd(ctx, args[1:], env, stdout, stderr)
	case "list":
		return silenceList(ctx, args[1:], stdout, stderr)
	case "expire":
		return silenceExpire(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, silenceUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "wk silence: unknown subcommand %q\n%s", args[0], silenceUsage)
	return exitHarness
}

// tableFlags are the flags that locate the table.
type tableFlags struct {
	stack, table *string
}

func addTableFlags(fs *flag.FlagSet) tableFlags {
	return tableFlags{
		stack: fs.String("stack", "Watchkeeper", "CloudFormation stack name (deployment.stack_name); its StateTableName output names the table"),
		table: fs.String("table", "", "state table name (instead of reading it from the stack)"),
	}
}

// open builds the silence table from the SDK's usual environment.
func (tf tableFlags) open(ctx context.Context, now func() time.Time) (*silence.Table, error) {
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
	return silence.NewTable(dynamodb.NewFromConfig(cfg), name, now), nil
}

// parseInterspersed parses flags that may come after positional arguments
// ("expire abc -table t") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseDuration reads a Go duration, or whole days as "3d".
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q is not a duration (e.g. 90m, 2h, 3d)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration (e.g. 90m, 2h, 3d)", s)
	}
	return d, nil
}

func silenceAdd(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk silence add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var matchers stringList
	fs.Var(&matchers, "matcher", "label matcher, route syntax (repeat for more; all must hold; at least one)")
	duration := fs.String("duration", "", "how long from the start: a Go duration (2h, 90m) or days (3d)")
	until := fs.String("until", "", "when it ends, RFC 3339 (instead of -duration)")
	start := fs.String("start", "", "when it starts, RFC 3339 (default now)")
	author := fs.String("author", envValue(env, "USER"), "who adds it (default $USER)")
	comment := fs.String("comment", "", "why (required)")
	force := fs.Bool("force", false, "allow a silence longer than 30 days")
	tf := addTableFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitHarness
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "wk silence add: "+format+"\n", a...)
		return exitHarness
	}
	if len(pos) > 0 {
		return usageErr("unexpected arguments %q (matchers go in -matcher)", pos)
	}
	if len(matchers) == 0 {
		return usageErr("at least one -matcher is required: a silence without matchers would silence every alert")
	}
	now := time.Now().UTC().Truncate(time.Second)
	from := now
	if *start != "" {
		if from, err = time.Parse(time.RFC3339, *start); err != nil {
			return usageErr("-start %q is not an RFC 3339 time (e.g. 2026-11-26T08:00:00Z)", *start)
		}
	}
	var end time.Time
	switch {
	case *duration != "" && *until != "":
		return usageErr("give -duration or -until, not both")
	case *duration != "":
		d, err := parseDuration(*duration)
		if err != nil {
			return usageErr("-duration: %v", err)
		}
		end = from.Add(d)
	case *until != "":
		if end, err = time.Parse(time.RFC3339, *until); err != nil {
			return usageErr("-until %q is not an RFC 3339 time (e.g. 2026-11-26T18:00:00Z)", *until)
		}
	default:
		return usageErr("-duration or -until is required")
	}
	if !end.After(now) {
		return usageErr("the silence would end at %s, which is not in the future", end.UTC().Format(time.RFC3339))
	}
	if end.Sub(from) > maxSilence && !*force {
		return usageErr("%s is longer than %d days; add -force if you mean it", end.Sub(from).Round(time.Minute), int(maxSilence.Hours()/24))
	}
	s, err := silence.New(matchers, *author, *comment, from, end, now)
	if err != nil {
		return usageErr("%v", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	tab, err := tf.open(ctx, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "wk silence add: %v\n", err)
		return exitFunctionError
	}
	for attempt := 0; ; attempt++ {
		if s.ID, err = silence.NewID(); err != nil {
			break
		}
		if err = tab.Put(ctx, s); !errors.Is(err, silence.ErrExists) || attempt == 2 {
			break
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "wk silence add: %v\n", err)
		return exitFunctionError
	}
	fmt.Fprintf(stdout, "silence %s added: %s until %s\n", s.ID, strings.Join(s.MatcherStrings(), ", "), s.EndsAt.Format(time.RFC3339))
	return exitOK
}

func silenceList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk silence list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	all := fs.Bool("all", false, "include silences that have ended (kept for 7 days)")
	tf := addTableFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitHarness
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "wk silence list: unexpected arguments %q\n", pos)
		return exitHarness
	}
	now := time.Now()
	tab, err := tf.open(ctx, func() time.Time { return now })
	if err != nil {
		fmt.Fprintf(stderr, "wk silence list: %v\n", err)
		return exitFunctionError
	}
	var list []silence.Silence
	if *all {
		list, err = tab.All(ctx)
	} else {
		list, err = tab.Current(ctx)
	}
	if err != nil && list == nil {
		fmt.Fprintf(stderr, "wk silence list: %v\n", err)
		return exitFunctionError
	}
	if err != nil {
		// Some items could not be read; list the rest and say so.
		fmt.Fprintf(stderr, "wk silence list: warning: %v\n", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMATCHERS\tAUTHOR\tCOMMENT\tUNTIL")
	for _, s := range list {
		until := s.EndsAt.Format(time.RFC3339)
		switch {
		case !s.EndsAt.After(now):
			until += " (ended)"
		case s.StartsAt.After(now):
			until += " (starts " + s.StartsAt.Format(time.RFC3339) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cell(s.ID), cell(strings.Join(s.MatcherStrings(), ", ")), cell(s.Author), cell(s.Comment), until)
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "wk silence list: %v\n", err)
		return exitHarness
	}
	if len(list) == 0 {
		fmt.Fprintln(stderr, "no silences")
	}
	return exitOK
}

// cell keeps a table cell on one line: control characters (tabs, newlines,
// escape sequences from a stored comment) become spaces.
func cell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func silenceExpire(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk silence expire", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tf := addTableFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitHarness
	}
	if len(pos) != 1 || pos[0] == "" {
		fmt.Fprintln(stderr, "wk silence expire: give exactly one silence id (see wk silence list)")
		return exitHarness
	}
	tab, err := tf.open(ctx, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "wk silence expire: %v\n", err)
		return exitFunctionError
	}
	s, err := tab.Expire(ctx, pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "wk silence expire: %v\n", err)
		return exitFunctionError
	}
	fmt.Fprintf(stdout, "silence %s expired at %s\n", s.ID, s.EndsAt.Format(time.RFC3339))
	return exitOK
}

// envValue is name's value in env ("K=V" pairs), or "".
func envValue(env []string, name string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
