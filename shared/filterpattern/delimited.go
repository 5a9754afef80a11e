package filterpattern

import "strings"

// delimField is one field of a space-delimited pattern: "..." or a name
// with an optional condition, held as OR of AND groups (&& binds tighter).
type delimField struct {
	ellipsis bool
	name     string
	any      [][]cond
}

func (f *delimField) test(s string) bool {
	if len(f.any) == 0 {
		return true
	}
	for _, all := range f.any {
		ok := true
		for i := range all {
			if !all[i].testText(s) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

type delimPattern struct {
	fields []delimField
}

// align matches message fields against the pattern fields, "..." absorbing
// any number of fields, and returns for each pattern field the index of the
// message field it took (when assign is not nil). It is the classic wildcard match with backtracking
// to the last ellipsis, which is exact because every named field takes one
// message field.
func (d *delimPattern) align(msg []string, assign []int) bool {
	if len(d.fields) == 0 {
		return true // [] matches every event
	}
	pi, mi := 0, 0
	starP, starM := -1, 0
	for mi < len(msg) {
		switch {
		case pi < len(d.fields) && d.fields[pi].ellipsis:
			starP, starM = pi, mi
			pi++
		case pi < len(d.fields) && d.fields[pi].test(msg[mi]):
			if assign != nil {
				assign[pi] = mi
			}
			pi++
			mi++
		case starP >= 0:
			starM++
			pi, mi = starP+1, starM
		default:
			return false
		}
	}
	for pi < len(d.fields) && d.fields[pi].ellipsis {
		pi++
	}
	return pi == len(d.fields)
}

// splitFields splits a message on runs of spaces and tabs; text inside
// [brackets] or "double quotes" is one field, without its delimiters. An
// opening bracket or quote with no closing partner is an ordinary character.
func splitFields(s string, dst []string) []string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '[' || c == '"' {
			closer := byte('"')
			if c == '[' {
				closer = ']'
			}
			if j := strings.IndexByte(s[i+1:], closer); j >= 0 {
				dst = append(dst, s[i+1:i+1+j])
				i += j + 2
				continue
			}
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		dst = append(dst, s[i:j])
		i = j
	}
	return dst
}

func isFieldNameChar(c byte) bool { return isAlnum(c) || c == '_' }

// parseDelimited parses the inside of [ ... ] at src[start:end].
func (ps *parser) parseDelimited(start, end int) (*delimPattern, error) {
	d := &delimPattern{}
	seen := map[string]bool{}
	i := ps.skipSpace(start, end)
	if i == end {
		return d, nil
	}
	stop := func(b byte) bool { return b == ',' || b == ']' }
	for {
		i = ps.skipSpace(i, end)
		if i >= end {
			// A trailing comma stands for one more unnamed field: AWS's
			// [..., request=*.html*, status_code=4*,] matches messages
			// that end with a size after the status code.
			d.fields = append(d.fields, delimField{})
			break
		}
		fieldStart := i
		var f delimField
		switch {
		case strings.HasPrefix(ps.src[i:end], "..."):
			f.ellipsis = true
			i += 3
		case isFieldNameChar(ps.src[i]):
			j := i
			for j < end && isFieldNameChar(ps.src[j]) {
				j++
			}
			f.name = ps.src[i:j]
			if seen[f.name] {
				return nil, ps.errAt(i, "duplicate field name %q", f.name)
			}
			seen[f.name] = true
			i = ps.skipSpace(j, end)
			if i < end && ps.src[i] != ',' {
				if strings.IndexByte("=!<>", ps.src[i]) < 0 {
					return nil, ps.errAt(i, "expected , or an operator after field %q", f.name)
				}
				groups, j, err := ps.parseFieldConds(i, end, f.name, stop)
				if err != nil {
					return nil, err
				}
				f.any, i = groups, j
			}
		case ps.src[i] == ',':
			return nil, ps.errAt(i, "empty field")
		default:
			return nil, ps.errAt(i, "expected a field name or ...")
		}
		d.fields = append(d.fields, f)
		i = ps.skipSpace(i, end)
		if i >= end {
			break
		}
		if ps.src[i] != ',' {
			return nil, ps.errAt(i, "expected , after field starting at column %d", ps.errAt(fieldStart, "").Pos)
		}
		i++
	}
	return d, nil
}

// parseFieldConds parses "op value" followed by any number of
// "&& name op value" or "|| name op value", where name repeats the field.
func (ps *parser) parseFieldConds(i, end int, name string, stop func(byte) bool) ([][]cond, int, error) {
	var groups [][]cond
	var cur []cond
	for {
		c, j, err := ps.parseCond(i, end, stop)
		if err != nil {
			return nil, j, err
		}
		cur = append(cur, c)
		j = ps.skipSpace(j, end)
		if j+1 >= end || (ps.src[j:j+2] != "&&" && ps.src[j:j+2] != "||") {
			return append(groups, cur), j, nil
		}
		if ps.src[j:j+2] == "||" {
			groups = append(groups, cur)
			cur = nil
		}
		k := ps.skipSpace(j+2, end)
		n := k
		for n < end && isFieldNameChar(ps.src[n]) {
			n++
		}
		if ps.src[k:n] != name {
			return nil, k, ps.errAt(k, "compound condition must repeat the field name %q", name)
		}
		i = ps.skipSpace(n, end)
	}
}
