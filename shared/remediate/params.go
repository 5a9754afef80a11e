package remediate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// ParamType is the type of an action parameter.
type ParamType string

// Parameter types. Config values arrive from YAML (ints) or normalized JSON
// (float64); Validate turns both into these Go types.
const (
	// TypeString is a Go string.
	TypeString ParamType = "string"
	// TypeInt is a Go int; a number with a fraction is an error.
	TypeInt ParamType = "int"
	// TypeBool is a Go bool.
	TypeBool ParamType = "bool"
	// TypeIntList is a Go []int.
	TypeIntList ParamType = "[]int"
	// TypeStringList is a Go []string.
	TypeStringList ParamType = "[]string"
)

// Param declares one parameter of an action.
type Param struct {
	Name     string
	Type     ParamType
	Required bool
	// Default applies when the config leaves the parameter out; nil means no
	// default (the parameter is then absent from Params).
	Default     any
	Description string
}

// ParamSchema is everything an action accepts as parameters.
type ParamSchema struct {
	Params []Param
	// Check runs after the per-parameter checks for rules that span several
	// parameters (exactly one of `by` and `to`) or bound values (ports).
	Check func(Params) error
}

// ErrInvalidParams marks parameters that do not fit an action's schema.
var ErrInvalidParams = errors.New("invalid parameters")

// Names lists the declared parameter names, sorted.
func (s ParamSchema) Names() []string {
	out := make([]string, len(s.Params))
	for i, p := range s.Params {
		out[i] = p.Name
	}
	sort.Strings(out)
	return out
}

// Validate checks raw parameters from config against the schema, converts
// them to the declared types and fills defaults. Every problem is reported,
// each naming the parameter.
func (s ParamSchema) Validate(raw map[string]any) (Params, error) {
	out := make(Params, len(s.Params))
	var errs []error
	declared := make(map[string]Param, len(s.Params))
	for _, p := range s.Params {
		declared[p.Name] = p
	}
	unknown := make([]string, 0)
	for k := range raw {
		if _, ok := declared[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		valid := "none"
		if len(s.Params) > 0 {
			valid = strings.Join(s.Names(), ", ")
		}
		errs = append(errs, fmt.Errorf("unknown parameter %q (valid: %s)", k, valid))
	}
	for _, p := range s.Params {
		v, ok := raw[p.Name]
		if !ok || v == nil {
			if p.Required {
				errs = append(errs, fmt.Errorf("parameter %q is required (%s)", p.Name, p.Type))
				continue
			}
			if p.Default != nil {
				d, err := convert(p.Type, p.Default)
				if err != nil {
					errs = append(errs, fmt.Errorf("parameter %q: default: %w", p.Name, err))
					continue
				}
				out[p.Name] = d
			}
			continue
		}
		c, err := convert(p.Type, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("parameter %q: %w", p.Name, err))
			continue
		}
		out[p.Name] = c
	}
	if len(errs) == 0 && s.Check != nil {
		if err := s.Check(out); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidParams, errors.Join(errs...))
	}
	return out, nil
}

func convert(t ParamType, v any) (any, error) {
	switch t {
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(v))
		}
		return s, nil
	case TypeBool:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %s", describe(v))
		}
		return b, nil
	case TypeInt:
		return toInt(v)
	case TypeIntList:
		items, ok := listOf(v)
		if !ok {
			return nil, fmt.Errorf("want a list of integers, got %s", describe(v))
		}
		out := make([]int, len(items))
		for i, it := range items {
			n, err := toInt(it)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			out[i] = n.(int)
		}
		return out, nil
	case TypeStringList:
		items, ok := listOf(v)
		if !ok {
			return nil, fmt.Errorf("want a list of strings, got %s", describe(v))
		}
		out := make([]string, len(items))
		for i, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("item %d: want a string, got %s", i, describe(it))
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported parameter type %q", t)
}

// listOf accepts the list shapes decoders produce: []any from JSON and YAML,
// and typed slices from Go literals (defaults, tests).
func listOf(v any) ([]any, bool) {
	switch l := v.(type) {
	case []any:
		return l, true
	case []int:
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = x
		}
		return out, true
	case []string:
		out := make([]any, len(l))
		for i, x := range l {
			out[i] = x
		}
		return out, true
	}
	return nil, false
}

// maxParamInt bounds integer parameters to what fits in every int32 API field.
const maxParamInt = math.MaxInt32

func toInt(v any) (any, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case uint64:
		if x > maxParamInt {
			return nil, fmt.Errorf("%d is too large", x)
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("want an integer, got %v", x)
		}
		if math.Abs(x) > maxParamInt {
			return nil, fmt.Errorf("%v is too large", x)
		}
		n = int64(x)
	default:
		return nil, fmt.Errorf("want an integer, got %s", describe(v))
	}
	if n > maxParamInt || n < -maxParamInt {
		return nil, fmt.Errorf("%d is too large", n)
	}
	return int(n), nil
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", truncate(x, 40))
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case float64, int, int64, uint64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", v)
}

// Params are validated parameters: each value has its declared Go type.
type Params map[string]any

// Has reports whether the parameter is set (by config or by default).
func (p Params) Has(name string) bool {
	_, ok := p[name]
	return ok
}

// String returns a string parameter or "".
func (p Params) String(name string) string {
	s, _ := p[name].(string)
	return s
}

// Int returns an int parameter or 0.
func (p Params) Int(name string) int {
	n, _ := p[name].(int)
	return n
}

// Bool returns a bool parameter or false.
func (p Params) Bool(name string) bool {
	b, _ := p[name].(bool)
	return b
}

// Ints returns a copy of an int-list parameter.
func (p Params) Ints(name string) []int {
	l, _ := p[name].([]int)
	return slices.Clone(l)
}

// Strings returns a copy of a string-list parameter.
func (p Params) Strings(name string) []string {
	l, _ := p[name].([]string)
	return slices.Clone(l)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// checkMinInterval is the schema check of the actions that skip a target
// they acted on less than min_interval_minutes ago: an interval under a
// minute would let a flapping trigger act in a loop.
func checkMinInterval(p Params) error {
	if p.Int("min_interval_minutes") < 1 {
		return fmt.Errorf("min_interval_minutes is %d, want at least 1", p.Int("min_interval_minutes"))
	}
	return nil
}
