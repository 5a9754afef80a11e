package config

import (
	"fmt"
	"slices"
	"strings"
)

// Error is one problem found in a config file, located by file, line and
// column (1-based; 0 when unknown) and by the dotted key path, such as
// "notifications.channels[1].type".
type Error struct {
	File string
	Line int
	Col  int
	Path string
	Msg  string
}

// Error formats the problem as "file:line:col: path: msg", leaving out the
// parts that are unknown.
func (e Error) Error() string {
	var b strings.Builder
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
		if e.File == "" {
			loc = fmt.Sprintf("%d:%d", e.Line, e.Col)
		}
	}
	if loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one pass over a config, sorted by
// position. Load, Parse, Validate and DeployCheck return it (as *Errors) so a
// user can fix everything in one edit.
type Errors struct {
	List []Error
}

// Error prints one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, x := range e.List {
		lines[i] = x.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each Error to errors.As and errors.Is.
func (e *Errors) Unwrap() []error {
	out := make([]error, len(e.List))
	for i, x := range e.List {
		out[i] = x
	}
	return out
}

// pos is a 1-based line and column in the source.
type pos struct {
	line, col int
}

// source remembers where each key path came from, so that checks run after
// decoding can still point at the file.
type source struct {
	file string
	// at maps a key path to the position of its key (mapping entries) or of
	// the item itself (sequence entries). "" is the document root.
	at map[string]pos
	// set holds the paths whose value was present and not null; defaults
	// apply only to the others.
	set map[string]bool
}

func newSource(file string) *source {
	return &source{file: file, at: map[string]pos{}, set: map[string]bool{}}
}

// locate returns the position of path or, when the path itself is absent
// (a missing required key), of its nearest present ancestor.
func (s *source) locate(path string) pos {
	if s == nil {
		return pos{}
	}
	for p := path; ; p = parentPath(p) {
		if at, ok := s.at[p]; ok {
			return at
		}
		if p == "" {
			return pos{}
		}
	}
}

// parentPath strips the last ".key" or "[i]" segment of a path.
func parentPath(p string) string {
	if p == "" {
		return ""
	}
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			// A quoted key such as tags["a.b"] may contain '[' itself; the
			// bracket we want is the one that opens the final segment.
			if j := strings.LastIndex(p, "[\""); j >= 0 && strings.HasSuffix(p, "\"]") {
				i = j
			}
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

// errList collects errors against a source.
type errList struct {
	src  *source
	list []Error
}

func (l *errList) addf(path, format string, args ...any) {
	l.addAt(path, l.src.locate(path), format, args...)
}

// addAt records an error at an explicit position, for problems (such as a
// duplicate key) that are not where the path's first occurrence is.
func (l *errList) addAt(path string, at pos, format string, args ...any) {
	file := ""
	if l.src != nil {
		file = l.src.file
	}
	l.list = append(l.list, Error{File: file, Line: at.line, Col: at.col, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err returns the collected errors sorted by position, or nil.
func (l *errList) err() error {
	if len(l.list) == 0 {
		return nil
	}
	list := slices.Clone(l.list)
	slices.SortStableFunc(list, func(a, b Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	list = slices.CompactFunc(list, func(a, b Error) bool { return a == b })
	return &Errors{List: list}
}

// joinPath appends a mapping key to a path. Keys that are not plain
// identifiers are quoted so that the path stays unambiguous.
func joinPath(parent, key string) string {
	if !plainKey(key) {
		return fmt.Sprintf("%s[%q]", parent, key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '/', r == ':':
		default:
			return false
		}
	}
	return true
}
