package alert

import (
	"errors"
	"unicode/utf8"
	"unsafe"

	"github.com/watchkeeper/watchkeeper/shared/internal/swar"
)

// errNotFast makes ParseLogsData fall back to encoding/json, which then
// either parses the input or reports the error properly. The fast path only
// accepts the exact shape CloudWatch Logs writes; anything else (unknown
// keys, nulls, \u escapes, invalid UTF-8, malformed JSON) takes the slow path,
// so both paths always agree (see FuzzParseLogsData).
var errNotFast = errors.New("not on the fast path")

// fastLogs is a single-pass parser for subscription batches. encoding/json
// validates the whole input before decoding it and unescapes through a
// general path; batches are mostly one escaped JSON string per event, so a
// direct scan halves the detector's decode time.
type fastLogs struct {
	b []byte
	i int
	// arena holds every log message and id, unescaped, in one allocation: the
	// messages together are never longer than the input, so appending never
	// moves it and each message can be a view of it.
	arena []byte
}

func parseLogsFast(b []byte) (*LogsBatch, error) {
	p := fastLogs{b: b, arena: make([]byte, 0, len(b))}
	var out LogsBatch
	p.ws()
	if !p.eat('{') {
		return nil, errNotFast
	}
	p.ws()
	if p.eat('}') {
		return p.end(&out)
	}
	for {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if !p.eat(':') {
			return nil, errNotFast
		}
		p.ws()
		switch key {
		case "messageType":
			out.MessageType, err = p.str()
		case "owner":
			out.Owner, err = p.str()
		case "logGroup":
			out.LogGroup, err = p.str()
		case "logStream":
			out.LogStream, err = p.str()
		case "policyLevel":
			out.PolicyLevel, err = p.str()
		case "subscriptionFilters":
			out.SubscriptionFilters, err = p.strings()
		case "logEvents":
			out.Events, err = p.events()
		default:
			return nil, errNotFast
		}
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.eat('}') {
			return p.end(&out)
		}
		if !p.eat(',') {
			return nil, errNotFast
		}
		p.ws()
	}
}

func (p *fastLogs) end(out *LogsBatch) (*LogsBatch, error) {
	p.ws()
	if p.i != len(p.b) {
		return nil, errNotFast
	}
	return out, nil
}

func (p *fastLogs) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastLogs) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string with simple escapes only.
func (p *fastLogs) str() (string, error) {
	if !p.eat('"') {
		return "", errNotFast
	}
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			seg := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(seg) {
				return "", errNotFast
			}
			return string(seg), nil
		case c == '\\':
			return p.escapedStr(start, ascii)
		case c < 0x20:
			return "", errNotFast
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return "", errNotFast
}

// escapedStr continues str from the first backslash. Escapes only produce
// ASCII, so validating the result once is the same as validating each run
// of raw bytes.
func (p *fastLogs) escapedStr(start int, ascii bool) (string, error) {
	end := p.i
	for end < len(p.b) && p.b[end] != '"' {
		if p.b[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(p.b) {
		return "", errNotFast
	}
	buf := make([]byte, end-start)
	j := copy(buf, p.b[start:p.i])
	for p.i < end {
		c := p.b[p.i]
		switch {
		case c == '\\':
			switch p.b[p.i+1] {
			case '"', '\\', '/':
				c = p.b[p.i+1]
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			default: // \u escapes and invalid escapes
				return "", errNotFast
			}
			p.i += 2
		case c < 0x20:
			return "", errNotFast
		default:
			if c >= 0x80 {
				ascii = false
			}
			p.i++
		}
		buf[j] = c
		j++
	}
	p.i++ // closing quote
	out := buf[:j]
	if !ascii && !utf8.Valid(out) {
		return "", errNotFast
	}
	// buf is never written again: share it instead of copying it.
	return unsafe.String(unsafe.SliceData(out), len(out)), nil
}

// message reads a JSON string like str, unescaped into the arena (log
// messages and ids): runs without escapes are found eight bytes at a time
// and copied whole.
func (p *fastLogs) message() (string, error) {
	if !p.eat('"') {
		return "", errNotFast
	}
	b := p.b
	start := len(p.arena)
	var high uint64 // OR of every byte copied: any 0x80 bit means non-ASCII
	for i := p.i; ; {
		j := swar.Skip(b, i, &high)
		for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 {
			high |= uint64(b[j])
			j++
		}
		p.arena = append(p.arena, b[i:j]...)
		if j+1 >= len(b) {
			return "", errNotFast
		}
		switch b[j] {
		case '"':
			p.i = j + 1
			out := p.arena[start:]
			if swar.High(high) && !utf8.Valid(out) {
				return "", errNotFast
			}
			if len(out) == 0 {
				return "", nil
			}
			// The arena is never written below its length again.
			return unsafe.String(&out[0], len(out)), nil
		case '\\':
			c := b[j+1]
			switch c {
			case '"', '\\', '/':
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			default: // \u escapes and invalid escapes
				return "", errNotFast
			}
			p.arena = append(p.arena, c)
			i = j + 2
		default: // a control character
			return "", errNotFast
		}
	}
}

func (p *fastLogs) strings() ([]string, error) {
	if !p.eat('[') {
		return nil, errNotFast
	}
	out := []string{}
	p.ws()
	if p.eat(']') {
		return out, nil
	}
	for {
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		p.ws()
		if p.eat(']') {
			return out, nil
		}
		if !p.eat(',') {
			return nil, errNotFast
		}
		p.ws()
	}
}

func (p *fastLogs) events() ([]LogEvent, error) {
	if !p.eat('[') {
		return nil, errNotFast
	}
	out := []LogEvent{}
	p.ws()
	if p.eat(']') {
		return out, nil
	}
	for {
		e, err := p.event()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		p.ws()
		if p.eat(']') {
			return out, nil
		}
		if !p.eat(',') {
			return nil, errNotFast
		}
		p.ws()
	}
}

func (p *fastLogs) event() (LogEvent, error) {
	var e LogEvent
	if !p.eat('{') {
		return e, errNotFast
	}
	p.ws()
	if p.eat('}') {
		return e, nil
	}
	for {
		key, err := p.str()
		if err != nil {
			return e, err
		}
		p.ws()
		if !p.eat(':') {
			return e, errNotFast
		}
		p.ws()
		switch key {
		case "id":
			e.ID, err = p.message()
		case "message":
			e.Message, err = p.message()
		case "timestamp":
			e.Timestamp, err = p.int64()
		default:
			return e, errNotFast
		}
		if err != nil {
			return e, err
		}
		p.ws()
		if p.eat('}') {
			return e, nil
		}
		if !p.eat(',') {
			return e, errNotFast
		}
		p.ws()
	}
}

// int64 reads an integer literal (no fraction or exponent, no overflow).
func (p *fastLogs) int64() (int64, error) {
	neg := p.eat('-')
	start := p.i
	var n int64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		if n > (1<<63-1)/10-1 {
			return 0, errNotFast
		}
		n = n*10 + int64(p.b[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || (digits > 1 && p.b[start] == '0') {
		return 0, errNotFast
	}
	if p.i < len(p.b) {
		switch p.b[p.i] {
		case '.', 'e', 'E':
			return 0, errNotFast
		}
	}
	if neg {
		n = -n
	}
	return n, nil
}
