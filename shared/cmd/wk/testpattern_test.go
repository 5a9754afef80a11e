package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTestPattern(t *testing.T) {
	log := "INFO start\nERROR boom\n{\"level\":\"ERROR\",\"msg\":\"x\"}\nWARN slow\n"
	for _, tt := range []struct {
		pattern string
		code    int
		out     string
		summary string
	}{
		{"ERROR", exitOK, "     2: ERROR boom\n     3: {\"level\":\"ERROR\",\"msg\":\"x\"}\n", "2 of 4 lines match term pattern"},
		{`{ $.level = "ERROR" }`, exitOK, "     3: {\"level\":\"ERROR\",\"msg\":\"x\"}\n", "1 of 4 lines match json pattern"},
		{"?WARN ?INFO", exitOK, "     1: INFO start\n     4: WARN slow\n", "2 of 4 lines"},
		{"", exitOK, "     1: INFO start\n     2: ERROR boom\n     3: {\"level\":\"ERROR\",\"msg\":\"x\"}\n     4: WARN slow\n", "4 of 4 lines"},
		{"{ ($.level = 1 }", exitFunctionError, "", "unbalanced parenthesis at column 3\n  { ($.level = 1 }\n    ^"},
	} {
		var stdout, stderr bytes.Buffer
		code := runTestPattern([]string{"-pattern", tt.pattern}, strings.NewReader(log), &stdout, &stderr)
		if code != tt.code || stdout.String() != tt.out || !strings.Contains(stderr.String(), tt.summary) {
			t.Errorf("%q: exit %d\nstdout %q\nstderr %q", tt.pattern, code, stdout.String(), stderr.String())
		}
	}
	var stderr bytes.Buffer
	if code := runTestPattern(nil, strings.NewReader(log), &bytes.Buffer{}, &stderr); code != exitHarness {
		t.Errorf("without -pattern: exit %d", code)
	}
}
