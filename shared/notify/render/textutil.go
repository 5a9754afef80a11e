package render

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// clean makes outside text safe to place on one line of any format: invalid
// UTF-8 is replaced, line breaks and tabs become spaces, and other control
// and bidirectional-override characters (which can make displayed text differ
// from what it says) are dropped.
func clean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			return ' '
		case dropRune(r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD")))
}

// cleanMultiline is clean but keeps line breaks (normalized to \n).
func cleanMultiline(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case r == '\t':
			return ' '
		case dropRune(r):
			return -1
		}
		return r
	}, s))
}

func dropRune(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f', r == '\u061c':
		return true
	}
	return false
}

// capLines keeps the first max lines of s and says how many were left out.
func capLines(s string, max int) string {
	if max <= 0 {
		return s
	}
	n := strings.Count(s, "\n") + 1
	if n <= max {
		return s
	}
	i := 0
	for k := 0; k < max; k++ {
		j := strings.IndexByte(s[i:], '\n')
		i += j + 1
	}
	return s[:i] + "…(" + strconv.Itoa(n-max) + " more lines)"
}

// safeURL accepts absolute http(s) links only, so a link built from outside
// data can neither run script (javascript:) nor break the markup it sits in.
func safeURL(raw string) (string, bool) {
	if raw == "" || strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", false
	}
	return u.String(), true
}

// textLen counts UTF-16 code units: vendors count "characters", and counting
// the way JavaScript does is never less than counting code points.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// escaper maps one rune of raw text to its escaped form, or reports false
// when the rune stays as it is. before is the raw text already consumed and
// rest what follows r, for context-dependent rules.
type escaper func(before string, r rune, rest string) (string, bool)

// escape applies e to all of s.
func escape(s string, e escaper) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if piece, ok := e(s[:i], r, s[i+size:]); ok {
			b.WriteString(piece)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// fit escapes s with e and, when the result is longer than limit (textLen),
// cuts it between escaped runes, so no escape sequence is split, and appends
// TruncationMarker; the result never exceeds limit.
func fit(s string, limit int, e escaper) string {
	full := escape(s, e)
	if textLen(full) <= limit {
		return full
	}
	budget := limit - textLen(TruncationMarker)
	if budget < 0 {
		return cutRunes(TruncationMarker, limit)
	}
	var b strings.Builder
	n := 0
	for i, size := 0, 0; i < len(s); i += size {
		var r rune
		r, size = utf8.DecodeRuneInString(s[i:])
		piece, ok := e(s[:i], r, s[i+size:])
		if !ok {
			piece = s[i : i+size]
		}
		l := textLen(piece)
		if n+l > budget {
			break
		}
		b.WriteString(piece)
		n += l
	}
	return b.String() + TruncationMarker
}

// joinFit joins already-escaped items after prefix with sep, leaving out the
// items that would take the result over limit and saying so with
// TruncationMarker. Items are never cut, so an escape inside one stays whole.
func joinFit(prefix string, items []string, sep string, limit int) string {
	var b strings.Builder
	b.WriteString(prefix)
	n := textLen(prefix)
	markerLen := textLen(sep) + textLen(TruncationMarker)
	for i, it := range items {
		add := textLen(it)
		if i > 0 {
			add += textLen(sep)
		}
		last := i == len(items)-1
		room := limit - n
		if !last {
			room -= markerLen
		}
		if add > room {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(TruncationMarker)
			return b.String()
		}
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(it)
		n += add
	}
	return b.String()
}

// cutRunes keeps the longest prefix of s whose textLen is at most limit.
func cutRunes(s string, limit int) string {
	n := 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > limit {
			return s[:i]
		}
		n += utf16.RuneLen(r)
	}
	return s
}

// Truncate shortens plain (already escaped or never escaped) text to limit
// characters, counted in UTF-16 code units as vendors do, ending it with
// TruncationMarker when anything was cut.
func Truncate(s string, limit int) string { return cut(s, limit) }

// TruncateBytes shortens s to at most limit bytes of valid UTF-8, ending it
// with TruncationMarker when anything was cut.
func TruncateBytes(s string, limit int) string {
	return fitBytes(strings.ToValidUTF8(s, "\uFFFD"), limit)
}

// cut shortens unescaped s to limit (textLen), with TruncationMarker when
// anything was cut.
func cut(s string, limit int) string {
	if textLen(s) <= limit {
		return s
	}
	return cutRunes(s, max(0, limit-textLen(TruncationMarker))) + TruncationMarker
}

// fitBytes cuts s to at most limit bytes of UTF-8 on a rune boundary, with
// TruncationMarker when anything was cut.
func fitBytes(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - len(TruncationMarker)
	if cut < 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncationMarker
}
