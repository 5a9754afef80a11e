package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
)

// maxLineBytes is the longest log line read; CloudWatch Logs events are at most 256 KB.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html
const maxLineBytes = 256 * 1024

// runTestPattern prints the lines of a log file a filter pattern matches, as
// a metric filter or the detector would: before anyone deploys the pattern.
func runTestPattern(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk test-pattern", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pattern := fs.String("pattern", "", "CloudWatch Logs filter pattern (required; '' matches every line)")
	file := fs.String("file", "-", "log file, one event per line (- for standard input)")
	if err := fs.Parse(args); err != nil {
		return exitHarness
	}
	if !flagSet(fs, "pattern") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wk test-pattern: -pattern is required and takes no arguments")
		return exitHarness
	}
	p, err := filterpattern.Compile(*pattern)
	if err != nil {
		fmt.Fprintf(stderr, "wk test-pattern: %v\n  %s\n  %s^\n", err, *pattern, caretPad(err, *pattern))
		return exitFunctionError
	}
	in := stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			fmt.Fprintf(stderr, "wk test-pattern: %v\n", err)
			return exitHarness
		}
		defer f.Close()
		in = f
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), maxLineBytes)
	lines, matched := 0, 0
	for sc.Scan() {
		lines++
		if p.Match(sc.Text()) {
			matched++
			fmt.Fprintf(stdout, "%6d: %s\n", lines, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "wk test-pattern: line %d: %v\n", lines+1, err)
		return exitHarness
	}
	fmt.Fprintf(stderr, "%d of %d lines match %s pattern %q\n", matched, lines, p.Kind(), *pattern)
	return exitOK
}

// caretPad is the indentation that puts a caret under the error's column.
func caretPad(err error, pattern string) string {
	se, ok := err.(*filterpattern.SyntaxError)
	if !ok || se.Pos < 1 {
		return ""
	}
	return strings.Repeat(" ", min(se.Pos-1, len([]rune(pattern))))
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
