package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// JSON renders the normalized config (defaults applied, shorthands
// expanded) as indented JSON. The CDK app bundles it next to each function,
// and Parse reads it back to an equal Config. Literal secrets of a local
// profile appear as given, so never log the result of a local config.
func (c *Config) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return nil, fmt.Errorf("encode config as JSON: %w", err)
	}
	return b.Bytes(), nil
}

// Equal reports whether two configs hold the same settings, ignoring where
// they were loaded from.
func (c *Config) Equal(o *Config) bool {
	if c == nil || o == nil {
		return c == o
	}
	a, b := *c, *o
	a.src, b.src = nil, nil
	return reflect.DeepEqual(a, b)
}
