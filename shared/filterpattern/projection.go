package filterpattern

import "github.com/watchkeeper/watchkeeper/shared/internal/swar"

// Projection is a set of key paths into JSON objects. Decoding through it
// keeps the value at the end of each path whole; objects on the way keep only
// the members on some path, and arrays on the way keep every element, each cut
// the same way. Rules that only walk those paths (see Pattern.Paths) see the
// same values as on the full decoding, for a fraction of the work. A
// Projection is not safe for concurrent Add; Decode is.
type Projection struct {
	whole    bool
	children map[string]*Projection
}

// NewProjection returns an empty projection: it keeps nothing until a path is
// added.
func NewProjection() *Projection { return &Projection{} }

// Add adds one path; the empty path keeps the whole value.
func (p *Projection) Add(path []string) {
	if p.whole {
		return
	}
	if len(path) == 0 {
		p.whole, p.children = true, nil
		return
	}
	if p.children == nil {
		p.children = map[string]*Projection{}
	}
	c := p.children[path[0]]
	if c == nil {
		c = &Projection{}
		p.children[path[0]] = c
	}
	c.Add(path[1:])
}

// Merge adds every path of o.
func (p *Projection) Merge(o *Projection) {
	if p.whole || o == nil {
		return
	}
	if o.whole {
		p.whole, p.children = true, nil
		return
	}
	for k, oc := range o.children {
		if p.children == nil {
			p.children = map[string]*Projection{}
		}
		c := p.children[k]
		if c == nil {
			c = &Projection{}
			p.children[k] = c
		}
		c.Merge(oc)
	}
}

// wholeProjection keeps everything: decoding through it is a full decode.
var wholeProjection = &Projection{whole: true}

// Whole reports whether the projection keeps everything.
func (p *Projection) Whole() bool { return p.whole }

// Child is the projection below key, or nil when no path goes through it.
func (p *Projection) Child(key string) *Projection {
	if p.whole {
		return p
	}
	return p.children[key]
}

// Decode decodes value, one JSON value of any kind, through the projection.
// ok is false when value is not valid JSON.
func (p *Projection) Decode(value string) (v any, ok bool) {
	d := decodeJSON{s: value}
	v, ok = d.projected(p)
	if !ok {
		return nil, false
	}
	d.space()
	if d.i != len(value) {
		return nil, false
	}
	return v, true
}

func (d *decodeJSON) projected(p *Projection) (any, bool) {
	if p.whole {
		return d.value()
	}
	d.space()
	if d.i >= len(d.s) {
		return nil, false
	}
	switch d.s[d.i] {
	case '{':
		return d.projectedObject(p)
	case '[':
		return d.projectedArray(p)
	}
	return d.value()
}

func (d *decodeJSON) projectedObject(p *Projection) (any, bool) {
	if d.depth++; d.depth > maxJSONDepth {
		return nil, false
	}
	defer func() { d.depth-- }()
	d.i++ // {
	m := map[string]any{}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == '}' {
		d.i++
		return m, true
	}
	for {
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != '"' {
			return nil, false
		}
		k, ok := d.text()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.s) || d.s[d.i] != ':' {
			return nil, false
		}
		d.i++
		if c := p.Child(k); c != nil {
			v, ok := d.projected(c)
			if !ok {
				return nil, false
			}
			m[k] = v
		} else if !d.skip() {
			return nil, false
		}
		d.space()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *decodeJSON) projectedArray(p *Projection) (any, bool) {
	if d.depth++; d.depth > maxJSONDepth {
		return nil, false
	}
	defer func() { d.depth-- }()
	d.i++ // [
	a := []any{}
	d.space()
	if d.i < len(d.s) && d.s[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		v, ok := d.projected(p)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		d.space()
		if d.i >= len(d.s) {
			return nil, false
		}
		switch d.s[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return a, true
		default:
			return nil, false
		}
	}
}

// skip passes over one value, accepting exactly what value accepts, without
// building it.
func (d *decodeJSON) skip() bool {
	d.space()
	if d.i >= len(d.s) {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '{', c == '[':
		if d.depth++; d.depth > maxJSONDepth {
			return false
		}
		defer func() { d.depth-- }()
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.i++
		d.space()
		if d.i < len(d.s) && d.s[d.i] == end {
			d.i++
			return true
		}
		for {
			d.space()
			if c == '{' {
				if d.i >= len(d.s) || d.s[d.i] != '"' || !d.skipStr() {
					return false
				}
				d.space()
				if d.i >= len(d.s) || d.s[d.i] != ':' {
					return false
				}
				d.i++
			}
			if !d.skip() {
				return false
			}
			d.space()
			if d.i >= len(d.s) {
				return false
			}
			switch d.s[d.i] {
			case ',':
				d.i++
			case end:
				d.i++
				return true
			default:
				return false
			}
		}
	case c == '"':
		return d.skipStr()
	case c == '-' || c >= '0' && c <= '9':
		_, ok := d.number()
		return ok
	}
	_, ok := d.value() // true, false, null: nothing to allocate
	return ok
}

// skipStr passes over the string at d.i, accepting what str accepts.
func (d *decodeJSON) skipStr() bool {
	d.i++
	var high uint64
	for d.i < len(d.s) {
		if d.i = swar.Skip(d.s, d.i, &high); d.i >= len(d.s) {
			return false
		}
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if d.i+1 >= len(d.s) {
				return false
			}
			switch d.s[d.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i += 2
			case 'u':
				d.i += 2
				if _, ok := d.hex4(); !ok {
					return false
				}
			default:
				return false
			}
		default:
			d.i++
		}
	}
	return false
}
