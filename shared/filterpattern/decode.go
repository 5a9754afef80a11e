package filterpattern

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/watchkeeper/watchkeeper/shared/internal/swar"
)

// maxJSONDepth bounds nesting like encoding/json does, so a hostile record
// cannot exhaust the stack.
const maxJSONDepth = 10000

// decodeJSON is a small decoder for one JSON value producing the same
// values as encoding/json with UseNumber (map[string]any, []any, string,
// json.Number, bool, nil). It exists for speed: strings without escapes are
// sliced from the message instead of copied, and there is no reflection.
// A differential fuzz test holds it to encoding/json's results.
type decodeJSON struct {
	s     string
	i     int
	depth int
}

func (d *decodeJSON) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decodeJSON) value() (any, bool) {
	d.space()
	if d.i >= len(d.s) {
		return nil, false
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		if t, ok := d.text(); ok {
			return t, true
		}
		return nil, false
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return true, true
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return false, true
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return nil, true
	}
	return nil, false
}

func (d *decodeJSON) object() (any, bool) { return d.projectedObject(wholeProjection) }

func (d *decodeJSON) array() (any, bool) { return d.projectedArray(wholeProjection) }

func (d *decodeJSON) number() (any, bool) {
	start := d.i
	if d.s[d.i] == '-' {
		d.i++
	}
	digits := func() int {
		n := 0
		for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.s) && d.s[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return nil, false
	}
	if d.i < len(d.s) && d.s[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if d.i < len(d.s) && (d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		d.i++
		if d.i < len(d.s) && (d.s[d.i] == '+' || d.s[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return json.Number(d.s[start:d.i]), true
}

// text decodes the string at d.i (which holds the opening quote). It returns
// a string, not an any, so that object keys are not boxed.
func (d *decodeJSON) text() (string, bool) {
	d.i++
	start := d.i
	var high uint64
	for {
		d.i = swar.Skip(d.s, d.i, &high)
		if swar.High(high) {
			// Non-ASCII went past: the slow path checks it from the start.
			d.i = start
			return d.strSlow(start)
		}
		if d.i >= len(d.s) {
			return "", false
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return d.s[start : d.i-1], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return d.strSlow(start)
		}
		d.i++
	}
}

// strSlow handles escapes and non-ASCII, replacing invalid UTF-8 with
// U+FFFD as encoding/json does.
func (d *decodeJSON) strSlow(start int) (string, bool) {
	var b strings.Builder
	b.WriteString(d.s[start:d.i])
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return b.String(), true
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(d.s[d.i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(utf8.RuneError)
			} else {
				b.WriteString(d.s[d.i : d.i+size])
			}
			d.i += size
		case c != '\\':
			b.WriteByte(c)
			d.i++
		default:
			if d.i+1 >= len(d.s) {
				return "", false
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", false
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if strings.HasPrefix(d.s[d.i:], `\u`) {
						save := d.i
						d.i += 2
						var ok2 bool
						if r2, ok2 = d.hex4(); !ok2 {
							return "", false
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b.WriteRune(dec)
							continue
						}
						d.i = save
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
			default:
				return "", false
			}
		}
	}
	return "", false
}

func (d *decodeJSON) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil || strings.ContainsAny(d.s[d.i:d.i+4], "+-_xX") {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
