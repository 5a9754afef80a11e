package remediate

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParamSchemaValidate(t *testing.T) {
	cases := []struct {
		name    string
		action  Action
		raw     map[string]any
		want    Params
		wantErr []string // substrings of the error, all required
	}{
		{name: "defaults fill in", action: revokeOpenIngress{}, raw: nil,
			want: Params{"ports": []int{22, 3389}, "all_ports": false}},
		{name: "JSON numbers become ints", action: revokeOpenIngress{}, raw: map[string]any{"ports": []any{float64(22), float64(5432)}},
			want: Params{"ports": []int{22, 5432}, "all_ports": false}},
		{name: "YAML integers become ints", action: revokeOpenIngress{}, raw: map[string]any{"ports": []any{uint64(443)}, "all_ports": true},
			want: Params{"ports": []int{443}, "all_ports": true}},
		{name: "port out of range", action: revokeOpenIngress{}, raw: map[string]any{"ports": []any{70000}},
			wantErr: []string{"port 70000 is outside 0-65535"}},
		{name: "fractional port", action: revokeOpenIngress{}, raw: map[string]any{"ports": []any{22.5}},
			wantErr: []string{`parameter "ports": item 0: want an integer, got 22.5`}},
		{name: "string port", action: revokeOpenIngress{}, raw: map[string]any{"ports": []any{"22"}},
			wantErr: []string{`item 0: want an integer, got the string "22"`}},
		{name: "empty ports without all_ports", action: revokeOpenIngress{}, raw: map[string]any{"ports": []any{}},
			wantErr: []string{"would never revoke anything"}},
		{name: "unknown and mistyped together", action: revokeOpenIngress{}, raw: map[string]any{"port": 22, "all_ports": "yes"},
			wantErr: []string{`unknown parameter "port" (valid: all_ports, ports)`, `parameter "all_ports": want true or false, got the string "yes"`}},
		{name: "by", action: asgAdjustCapacity{}, raw: map[string]any{"by": float64(-2)}, want: Params{"by": -2}},
		{name: "to", action: asgAdjustCapacity{}, raw: map[string]any{"to": 4}, want: Params{"to": 4}},
		{name: "neither by nor to", action: asgAdjustCapacity{}, raw: nil, wantErr: []string{"set exactly one of by and to"}},
		{name: "both by and to", action: asgAdjustCapacity{}, raw: map[string]any{"by": 1, "to": 4}, wantErr: []string{"exactly one"}},
		{name: "by zero", action: asgAdjustCapacity{}, raw: map[string]any{"by": 0}, wantErr: []string{"by is 0"}},
		{name: "negative to", action: asgAdjustCapacity{}, raw: map[string]any{"to": -1}, wantErr: []string{"to is -1"}},
		{name: "huge to", action: asgAdjustCapacity{}, raw: map[string]any{"to": float64(1e12)}, wantErr: []string{"too large"}},
		{name: "no params accepted", action: cloudTrailStartLogging{}, raw: map[string]any{"name": "x"},
			wantErr: []string{`unknown parameter "name" (valid: none)`}},
		{name: "key from params", action: iamDeactivateAccessKey{}, raw: map[string]any{"user_name": "u", "access_key_id": "AKIA1"},
			want: Params{"user_name": "u", "access_key_id": "AKIA1"}},
		{name: "half a key", action: iamDeactivateAccessKey{}, raw: map[string]any{"user_name": "u"},
			wantErr: []string{"set both user_name and access_key_id, or neither"}},
		{name: "null counts as absent", action: asgAdjustCapacity{}, raw: map[string]any{"by": 1, "to": nil}, want: Params{"by": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.action.Schema().Validate(tc.raw)
			if len(tc.wantErr) > 0 {
				if !errors.Is(err, ErrInvalidParams) {
					t.Fatalf("err = %v, want ErrInvalidParams", err)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("err = %q, want it to contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("params = %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestRequiredParam(t *testing.T) {
	s := ParamSchema{Params: []Param{{Name: "tag", Type: TypeString, Required: true, Description: "d"}, {Name: "keys", Type: TypeStringList}}}
	if _, err := s.Validate(map[string]any{"keys": []any{"a", 1}}); err == nil ||
		!strings.Contains(err.Error(), `parameter "tag" is required (string)`) ||
		!strings.Contains(err.Error(), `item 1: want a string, got the number 1`) {
		t.Fatalf("err = %v", err)
	}
	p, err := s.Validate(map[string]any{"tag": "x", "keys": []any{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.String("tag") != "x" || !reflect.DeepEqual(p.Strings("keys"), []string{"a", "b"}) || p.Has("other") {
		t.Errorf("params = %v", p)
	}
}

func TestShellQuote(t *testing.T) {
	cases := map[string]string{
		"sg-0123":                                "sg-0123",
		"arn:aws:cloudtrail:eu-west-1:1:trail/x": "arn:aws:cloudtrail:eu-west-1:1:trail/x",
		"":                                       "''",
		"a b":                                    "'a b'",
		"x;rm -rf /":                             "'x;rm -rf /'",
		"it's":                                   `'it'\''s'`,
		`[{"IpProtocol":"tcp"}]`:                 `'[{"IpProtocol":"tcp"}]'`,
		"$(id)":                                  "'$(id)'",
	}
	for in, want := range cases {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
