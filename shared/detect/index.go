package detect

import (
	"slices"
	"strings"
	"sync"
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

// ruleIndex finds the rules that can fire on a record from its eventName and
// eventSource, compiled from the literals the rules compare them with. Keys
// are lower-cased ASCII (Sigma compares without case, filter patterns with
// it: a key that over-selects only costs an evaluation). The other rules run
// on every record. Each set of rules to run comes with the projection of the
// paths its rules read, so a record is decoded only as far as they look.
type ruleIndex struct {
	byName, bySource map[string]*ruleSet
	// always are the rules the index cannot exclude.
	always ruleSet
	// pairs caches the union of a name set and a source set (with always)
	// for records both select; it is bounded by the number of index entries.
	pairs sync.Map // [2]*ruleSet → *ruleSet
}

// ruleSet is the rules indexed under one key (own) and the rules to run on
// a record it selects: those and the always rules, in rule order, with the
// projection of every path they read.
type ruleSet struct {
	own     []int
	ownProj *filterpattern.Projection
	rules   []int
	proj    *filterpattern.Projection
}

func newRuleSet() *ruleSet {
	return &ruleSet{ownProj: filterpattern.NewProjection()}
}

// add indexes rule number i; finish must run before the index is used.
func (x *ruleIndex) add(i int, r *patternRule) {
	if x.byName == nil {
		x.byName, x.bySource = map[string]*ruleSet{}, map[string]*ruleSet{}
		x.always = *newRuleSet()
	}
	var sets []*ruleSet
	if r.literals != nil {
		for _, f := range []struct {
			field string
			m     map[string]*ruleSet
		}{{fieldEventName, x.byName}, {fieldEventSource, x.bySource}} {
			vals, ok := r.literals(f.field)
			if !ok {
				continue
			}
			for _, v := range vals {
				k := strings.ToLower(v)
				set := f.m[k]
				if set == nil {
					set = newRuleSet()
					f.m[k] = set
				}
				if !slices.Contains(sets, set) {
					sets = append(sets, set)
				}
			}
			break
		}
	}
	if len(sets) == 0 {
		sets = []*ruleSet{&x.always}
	}
	for _, set := range sets {
		set.own = append(set.own, i)
		if r.paths == nil {
			set.ownProj.Add(nil)
			continue
		}
		paths, all := r.paths()
		if all {
			set.ownProj.Add(nil)
		}
		for _, p := range paths {
			set.ownProj.Add(p)
		}
	}
}

// finish merges the always rules' paths into every set's projection.
func (x *ruleIndex) finish() {
	if x.byName == nil {
		return
	}
	x.always.rules, x.always.proj = x.always.own, x.always.ownProj
	for _, m := range []map[string]*ruleSet{x.byName, x.bySource} {
		for _, set := range m {
			set.rules = slices.Concat(set.own, x.always.own)
			slices.Sort(set.rules)
			set.proj = filterpattern.NewProjection()
			set.proj.Merge(set.ownProj)
			set.proj.Merge(x.always.ownProj)
		}
	}
	x.pairs.Clear()
}

// selectRules returns the rules to run on a record and the projection to decode
// it with; nil when no rule can fire.
func (x *ruleIndex) selectRules(h cloudtrail.Head) *ruleSet {
	name, source := lookup(x.byName, h.EventName), lookup(x.bySource, h.EventSource)
	switch {
	case name == nil && source == nil:
		if len(x.always.rules) == 0 {
			return nil
		}
		return &x.always
	case source == nil:
		return name
	case name == nil:
		return source
	}
	key := [2]*ruleSet{name, source}
	if set, ok := x.pairs.Load(key); ok {
		return set.(*ruleSet)
	}
	set := &ruleSet{rules: slices.Concat(name.own, source.own, x.always.own), proj: filterpattern.NewProjection()}
	slices.Sort(set.rules)
	set.proj.Merge(name.proj)
	set.proj.Merge(source.proj)
	x.pairs.Store(key, set)
	return set
}

// lookup returns the set indexed under s, compared lower-cased.
func lookup(m map[string]*ruleSet, s string) *ruleSet {
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
// raw, before suppressions. err is the cloudtrail.Scan error when raw is not
// a record the index can read.
func (e *PatternEngine) fired(raw []byte, out []int) ([]int, error) {
	var membersBuf [32]cloudtrail.Member
	members, h, err := cloudtrail.ScanMembers(raw, membersBuf[:0])
	if err != nil {
		return out, err
	}
	msg := viewString(raw)
	var set *ruleSet
	if isASCII(h.EventName) && isASCII(h.EventSource) {
		if set = e.index.selectRules(h); set == nil {
			return out, nil
		}
	}
	var ev *filterpattern.Event
	switch {
	case set == nil:
		// Case folding of non-ASCII text is not the index's: run every
		// rule on the whole record.
		ev = filterpattern.NewEvent(msg)
		for i := range e.rules {
			if e.rules[i].match(ev) {
				out = append(out, i)
			}
		}
		return out, nil
	case set.proj.Whole():
		ev = filterpattern.NewEvent(msg)
	default:
		cut := make(map[string]any, 8)
		for _, m := range members {
			c := set.proj.Child(m.Key)
			if c == nil {
				continue
			}
			// ScanMembers has validated the value: decoding cannot fail.
			if v, ok := c.Decode(viewString(m.Value)); ok {
				cut[m.Key] = v
			}
		}
		ev = filterpattern.NewDecodedEvent(msg, cut)
	}
	for _, i := range set.rules {
		if e.rules[i].match(ev) {
			out = append(out, i)
		}
	}
	return out, nil
}

// Screen implements Screener.
func (e *PatternEngine) Screen(raw []byte) (bool, error) {
	var buf [8]int
	out, err := e.fired(raw, buf[:0])
	return len(out) > 0, err
}
