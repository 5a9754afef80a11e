package config

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseAlarmRule parses a composite alarm rule — ALARM(name), OK(name),
// INSUFFICIENT_DATA(name), TRUE and FALSE joined by AND, OR, NOT and
// parentheses — and returns the alarm names it refers to, in order of
// appearance, each once. A name with spaces or parentheses is written in
// double quotes.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
func ParseAlarmRule(rule string) ([]string, error) {
	if strings.TrimSpace(rule) == "" {
		return nil, errors.New("empty rule")
	}
	if n := utf8.RuneCountInString(rule); n > MaxAlarmRuleLength {
		return nil, fmt.Errorf("rule is %d characters; CloudWatch allows %d", n, MaxAlarmRuleLength)
	}
	p := &ruleParser{s: rule, seen: map[string]bool{}}
	if err := p.or(0); err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.i)
	}
	return p.names, nil
}

// maxRuleDepth bounds nesting so that a hostile rule cannot exhaust the stack.
const maxRuleDepth = 64

type ruleParser struct {
	s     string
	i     int
	names []string
	seen  map[string]bool
}

func (p *ruleParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *ruleParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

// keyword consumes word when it comes next as a whole word.
func (p *ruleParser) keyword(word string) bool {
	p.space()
	if !strings.HasPrefix(p.s[p.i:], word) {
		return false
	}
	end := p.i + len(word)
	if end < len(p.s) && isWordByte(p.s[end]) {
		return false
	}
	p.i = end
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func (p *ruleParser) or(depth int) error {
	if err := p.and(depth); err != nil {
		return err
	}
	for p.keyword("OR") {
		if err := p.and(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *ruleParser) and(depth int) error {
	if err := p.unary(depth); err != nil {
		return err
	}
	for p.keyword("AND") {
		if err := p.unary(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *ruleParser) unary(depth int) error {
	if depth > maxRuleDepth {
		return fmt.Errorf("rule nests deeper than %d", maxRuleDepth)
	}
	if p.keyword("NOT") {
		return p.unary(depth + 1)
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '(' {
		p.i++
		if err := p.or(depth + 1); err != nil {
			return err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return fmt.Errorf("missing ) at offset %d", p.i)
		}
		p.i++
		return nil
	}
	if p.keyword("TRUE") || p.keyword("FALSE") {
		return nil
	}
	for _, f := range alarmRuleAtoms {
		if p.keyword(f) {
			return p.alarmRef(f)
		}
	}
	if p.i >= len(p.s) {
		return errors.New("rule ends where an alarm state was expected")
	}
	return fmt.Errorf("expected ALARM(…), OK(…), INSUFFICIENT_DATA(…), TRUE, FALSE, NOT or ( at offset %d, got %q", p.i, p.rest())
}

func (p *ruleParser) alarmRef(fn string) error {
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != '(' {
		return fmt.Errorf("%s needs (alarm name) at offset %d", fn, p.i)
	}
	p.i++
	p.space()
	var name string
	if p.i < len(p.s) && p.s[p.i] == '"' {
		end := strings.IndexByte(p.s[p.i+1:], '"')
		if end < 0 {
			return fmt.Errorf("unterminated quoted alarm name at offset %d", p.i)
		}
		name = p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
	} else {
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ')' && p.s[p.i] != ' ' && p.s[p.i] != '(' && p.s[p.i] != '"' {
			p.i++
		}
		name = p.s[start:p.i]
	}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != ')' {
		return fmt.Errorf("%s(%s: missing ) at offset %d (quote names with spaces or parentheses)", fn, name, p.i)
	}
	p.i++
	if name == "" {
		return fmt.Errorf("%s() names no alarm", fn)
	}
	if !p.seen[name] {
		p.seen[name] = true
		p.names = append(p.names, name)
	}
	return nil
}
