package detect

import (
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
)

// Screener is implemented by engines that can tell from the raw record,
// much faster than cloudtrail.Parse, that no rule fires on it, so the
// detector parses only the records that matched.
type Screener interface {
	// Screen checks raw like cloudtrail.Scan (a record that is not one JSON
	// object with string eventSource and eventName is an error) and reports
	// whether any rule fires on it, before suppressions. raw is only read.
	Screen(raw []byte) (bool, error)
}

// Field names the rule index is keyed on.
const (
	fieldEventName   = "eventName"
	fieldEventSource = "eventSource"
)

// maxProjectedKeys bounds how many top-level keys the unindexed rules may
// read before the engine stops cutting records down and decodes them whole.
const maxProjectedKeys = 32

// ruleIndex finds the rules that can fire on a record from its eventName and
// eventSource, compiled from the literals the rules compare them with. Keys
// are lower-cased ASCII (Sigma compares without case, filter patterns with
// it: a key that over-selects only costs an evaluation). The remaining rules
// run on every record, on a decoded copy cut down to the top-level keys
// they read.
type ruleIndex struct {
	byName, bySource map[string][]int
	// always are the rules the index cannot exclude, in rule order.
	always []int
	// keys are the top-level keys the always rules read; whole is set when
	// one of them reads every key (or there are too many to bother).
	keys  []string
	whole bool
}

// add indexes rule number i.
func (x *ruleIndex) add(i int, r *patternRule) {
	if x.byName == nil {
		x.byName, x.bySource = map[string][]int{}, map[string][]int{}
	}
	if r.literals != nil {
		for _, f := range []struct {
			field string
			m     map[string][]int
		}{{fieldEventName, x.byName}, {fieldEventSource, x.bySource}} {
			vals, ok := r.literals(f.field)
			if !ok {
				continue
			}
			for _, v := range vals {
				k := strings.ToLower(v)
				if l := f.m[k]; len(l) == 0 || l[len(l)-1] != i {
					f.m[k] = append(l, i)
				}
			}
			return
		}
	}
	x.always = append(x.always, i)
	if r.keys == nil {
		x.whole = true
		return
	}
	keys, all := r.keys()
	if all {
		x.whole = true
		return
	}
	for _, k := range keys {
		if !slices.Contains(x.keys, k) {
			x.keys = append(x.keys, k)
		}
	}
	if len(x.keys) > maxProjectedKeys {
		x.whole = true
	}
}

// lookup returns the rules indexed under s, compared lower-cased.
func lookup(m map[string][]int, s string) []int {
	var buf [64]byte
	if len(s) > len(buf) {
		return m[strings.ToLower(s)]
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return m[string(b)]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// viewString is b as a string without copying. The engine only reads the
// record while evaluating it and keeps nothing of it afterwards.
func viewString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// fired appends to out the numbers, in rule order, of the rules that fire on
// raw, before suppressions. err is the cloudtrail.ScanFields error when raw
// is not a record the index can read; out is then nil.
func (e *PatternEngine) fired(raw []byte, out []int) ([]int, error) {
	x := &e.index
	var valsBuf [maxProjectedKeys + 1][]byte
	vals := valsBuf[:len(x.keys)]
	h, err := cloudtrail.ScanFields(raw, x.keys, vals)
	if err != nil {
		return nil, err
	}
	msg := viewString(raw)
	if !isASCII(h.EventName) || !isASCII(h.EventSource) {
		// Case folding of non-ASCII text is not the index's: run every rule.
		ev := filterpattern.NewEvent(msg)
		for i := range e.rules {
			if e.rules[i].match(ev) {
				out = append(out, i)
			}
		}
		return out, nil
	}
	var full *filterpattern.Event
	if len(x.always) > 0 {
		var ev *filterpattern.Event
		if x.whole {
			full = filterpattern.NewEvent(msg)
			ev = full
		} else {
			cut := make(map[string]any, len(x.keys))
			for i, v := range vals {
				if v == nil {
					continue
				}
				d, ok := filterpattern.DecodeValue(viewString(v))
				if !ok {
					// ScanFields validated it; decoding cannot fail.
					continue
				}
				cut[x.keys[i]] = d
			}
			ev = filterpattern.NewDecodedEvent(msg, cut)
		}
		for _, i := range x.always {
			if e.rules[i].match(ev) {
				out = append(out, i)
			}
		}
	}
	byName, bySource := lookup(x.byName, h.EventName), lookup(x.bySource, h.EventSource)
	if len(byName)+len(bySource) == 0 {
		return out, nil
	}
	if full == nil {
		full = filterpattern.NewEvent(msg)
	}
	n := len(out)
	for _, l := range [2][]int{byName, bySource} {
		for _, i := range l {
			if e.rules[i].match(full) {
				out = append(out, i)
			}
		}
	}
	if len(out) > n {
		slices.Sort(out)
	}
	return out, nil
}

// Screen implements Screener.
func (e *PatternEngine) Screen(raw []byte) (bool, error) {
	var buf [8]int
	out, err := e.fired(raw, buf[:0])
	return len(out) > 0, err
}
