package remediate

import "strings"

// cli builds an AWS CLI command line from words, quoting each one that a
// POSIX shell would otherwise split or expand. Values come from trigger
// payloads, so quoting is not optional: a bucket name must not become code.
func cli(words ...string) string {
	quoted := make([]string, 0, len(words)+1)
	quoted = append(quoted, "aws")
	for _, w := range words {
		quoted = append(quoted, shellQuote(w))
	}
	return strings.Join(quoted, " ")
}

// withRegion appends --region r when r is known.
func withRegion(words []string, r string) []string {
	if r == "" {
		return words
	}
	return append(words, "--region", r)
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-_./:=,@+%", c) >= 0:
		default:
			safe = false
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
