package sigma

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type strKind int

const (
	kExact strKind = iota
	kPrefix
	kSuffix
	kContains
	kNonEmpty
	kGlob
	kRegexp
	kCIDR
)

// globElem is one element of a wildcard pattern.
type globElem struct {
	wild byte // 0 literal rune, '?' one rune, '*' any run
	r    rune
}

// strMatcher matches one string form of a field value.
type strMatcher struct {
	kind   strKind
	lit    string // lower-cased unless cased
	cased  bool
	glob   []globElem
	re     *regexp.Regexp
	need   string // a literal every re match contains (requiredLiteral)
	prefix netip.Prefix
}

// sigmaString is a Sigma value after escape processing: text with the
// positions of its unescaped wildcards.
type sigmaString []globElem

// parseSigmaString applies Sigma escaping: \* \? and \\ are literal, any
// other backslash stays as written.
func parseSigmaString(s string) sigmaString {
	out := make(sigmaString, 0, len(s))
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		switch r {
		case '\\':
			if i < len(s) && (s[i] == '*' || s[i] == '?' || s[i] == '\\') {
				out = append(out, globElem{r: rune(s[i])})
				i++
				continue
			}
			out = append(out, globElem{r: '\\'})
		case '*', '?':
			out = append(out, globElem{wild: byte(r)})
		default:
			out = append(out, globElem{r: r})
		}
	}
	return out
}

// newPatternMatcher compiles a wildcard pattern into the cheapest matcher
// that decides it.
func newPatternMatcher(p sigmaString, cased bool) *strMatcher {
	if !cased {
		for i, e := range p {
			if e.wild == 0 {
				p[i].r = unicode.ToLower(e.r)
			}
		}
	}
	m := &strMatcher{cased: cased}
	onlyStars, hasQ := len(p) > 0, false
	stars := 0
	for _, e := range p {
		if e.wild != '*' {
			onlyStars = false
		}
		if e.wild == '?' {
			hasQ = true
		}
		if e.wild == '*' {
			stars++
		}
	}
	if onlyStars {
		// Sigma's "contains: '*'" means the field is there and not empty.
		m.kind = kNonEmpty
		return m
	}
	literal := func(es []globElem) string {
		var b strings.Builder
		for _, e := range es {
			b.WriteRune(e.r)
		}
		return b.String()
	}
	n := len(p)
	switch {
	case hasQ || stars > 2:
		m.kind, m.glob = kGlob, p
	case stars == 0:
		m.kind, m.lit = kExact, literal(p)
	case stars == 1 && p[n-1].wild == '*':
		m.kind, m.lit = kPrefix, literal(p[:n-1])
	case stars == 1 && p[0].wild == '*':
		m.kind, m.lit = kSuffix, literal(p[1:])
	case stars == 2 && n >= 2 && p[0].wild == '*' && p[n-1].wild == '*':
		m.kind, m.lit = kContains, literal(p[1:n-1])
	default:
		m.kind, m.glob = kGlob, p
	}
	return m
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// matchString decides one string.
func (m *strMatcher) matchString(s string) bool {
	switch m.kind {
	case kNonEmpty:
		return s != ""
	case kRegexp:
		return m.regexpMatch(s)
	case kCIDR:
		a, err := netip.ParseAddr(s)
		return err == nil && m.prefix.Contains(a.Unmap())
	}
	if !m.cased && !isASCII(s) {
		s = strings.ToLower(s)
		return m.matchFolded(s, true)
	}
	return m.matchFolded(s, m.cased)
}

// matchFolded matches s, which is already lower-case when exact is true
// or the matcher is cased; otherwise ASCII case folding applies.
func (m *strMatcher) matchFolded(s string, exact bool) bool {
	switch m.kind {
	case kExact:
		if exact {
			return s == m.lit
		}
		return len(s) == len(m.lit) && asciiEqualFold(s, m.lit)
	case kPrefix:
		if exact {
			return strings.HasPrefix(s, m.lit)
		}
		return len(s) >= len(m.lit) && asciiEqualFold(s[:len(m.lit)], m.lit)
	case kSuffix:
		if exact {
			return strings.HasSuffix(s, m.lit)
		}
		return len(s) >= len(m.lit) && asciiEqualFold(s[len(s)-len(m.lit):], m.lit)
	case kContains:
		if exact {
			return strings.Contains(s, m.lit)
		}
		return asciiContainsFold(s, m.lit)
	case kGlob:
		if !exact {
			s = strings.ToLower(s)
		}
		return globMatch(m.glob, s)
	}
	return false
}

// asciiEqualFold compares s with lower, which is lower-case ASCII.
func asciiEqualFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func asciiContainsFold(s, lower string) bool {
	n := len(lower)
	if n == 0 {
		return true
	}
	first := lower[0]
	upperFirst := first
	if 'a' <= first && first <= 'z' {
		upperFirst -= 'a' - 'A'
	}
	for i := 0; i+n <= len(s); i++ {
		if c := s[i]; (c == first || c == upperFirst) && asciiEqualFold(s[i+1:i+n], lower[1:]) {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern of runes, '?' and '*' without
// backtracking blow-up (one restart point, as in path.Match-style globs).
func globMatch(p []globElem, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := 0, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			e := p[px]
			switch e.wild {
			case '*':
				nextPx, nextSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					_, w := utf8.DecodeRuneInString(s[sx:])
					px, sx = px+1, sx+w
					continue
				}
			default:
				if sx < len(s) {
					r, w := utf8.DecodeRuneInString(s[sx:])
					if r == e.r {
						px, sx = px+1, sx+w
						continue
					}
				}
			}
		}
		if nextSx >= 0 && nextSx < len(s) {
			_, w := utf8.DecodeRuneInString(s[nextSx:])
			nextSx += w
			px, sx = nextPx+1, nextSx
			continue
		}
		return false
	}
	return true
}

// scalarString is the string form Sigma compares: numbers and booleans by
// their text. ok is false for null and containers.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	}
	return "", false
}

// jsonText renders a container as compact JSON with sorted keys and no
// HTML escaping, the text |contains sees for an object or array.
func jsonText(v any) (string, bool) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	return strings.TrimSuffix(b.String(), "\n"), true
}

// matchValue applies m to a resolved field value. Scalars match by their
// string form; a non-empty object or array matches when its JSON text does
// or any element (for objects: any nested value) does.
func (m *strMatcher) matchValue(v any, depth int) bool {
	if s, ok := scalarString(v); ok {
		return m.matchString(s)
	}
	if depth > maxDepth {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return false
		}
		for _, e := range x {
			if m.matchValue(e, depth+1) {
				return true
			}
		}
	case []any:
		if len(x) == 0 {
			return false
		}
		for _, e := range x {
			if m.matchValue(e, depth+1) {
				return true
			}
		}
	default:
		return false
	}
	if m.kind == kCIDR {
		return false
	}
	if depth > 0 {
		// The outermost container's text covers its nested ones.
		return false
	}
	s, ok := jsonText(v)
	return ok && m.matchString(s)
}
