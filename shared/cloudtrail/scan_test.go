package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		src, event string
		wantErr    error
	}{
		{name: "record", in: `{"eventVersion":"1.10","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root"},"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy","requestParameters":{"a":[1,2.5e3,-0,true,false,null,"x\"y\\z\u00e9"]}}`,
			src: "s3.amazonaws.com", event: "PutBucketPolicy"},
		{name: "surrounding space", in: " \n{ \"eventName\" : \"a\" , \"eventSource\" : \"b\" }\t", src: "b", event: "a"},
		{name: "escaped key and value", in: `{"event\u004eame":"Stop\u004cogging","eventSource":"cloudtrail.amazonaws.com"}`, src: "cloudtrail.amazonaws.com", event: "StopLogging"},
		{name: "last duplicate wins", in: `{"eventName":"a","eventSource":"s","eventName":"b"}`, src: "s", event: "b"},
		{name: "nested names ignored", in: `{"x":{"eventName":"n","eventSource":"s"}}`, wantErr: ErrMissingField},
		{name: "other case ignored", in: `{"EventName":"n","eventSource":"s"}`, wantErr: ErrMissingField},
		{name: "non-string name", in: `{"eventName":5,"eventSource":"s"}`, wantErr: ErrMissingField},
		{name: "null name", in: `{"eventName":null,"eventSource":"s"}`, wantErr: ErrMissingField},
		{name: "empty object", in: `{}`, wantErr: ErrMissingField},
		{name: "bad time is not checked", in: `{"eventSource":"a","eventName":"b","eventTime":"yesterday"}`, src: "a", event: "b"},
		{name: "invalid UTF-8 accepted and replaced", in: "{\"eventSource\":\"a\",\"eventName\":\"b\xff\"}", src: "a", event: "b\uFFFD"},
		{name: "truncated", in: `{"eventSource":"a","eventName":"b","x":"abcdefghijklmnop`, wantErr: ErrSyntax},
		{name: "truncated after key", in: `{"eventSource"`, wantErr: ErrSyntax},
		{name: "array", in: `[]`, wantErr: ErrSyntax},
		{name: "trailing data", in: `{"eventSource":"a","eventName":"b"} {}`, wantErr: ErrSyntax},
		{name: "control character", in: "{\"eventSource\":\"a\",\"eventName\":\"b\tc\"}", wantErr: ErrSyntax},
		{name: "bad escape", in: `{"eventSource":"a","eventName":"b\x"}`, wantErr: ErrSyntax},
		{name: "short unicode escape", in: `{"eventSource":"a","eventName":"b\u12"}`, wantErr: ErrSyntax},
		{name: "leading zero", in: `{"eventSource":"a","eventName":"b","n":01}`, wantErr: ErrSyntax},
		{name: "bare fraction", in: `{"eventSource":"a","eventName":"b","n":1.}`, wantErr: ErrSyntax},
		{name: "trailing comma", in: `{"eventSource":"a","eventName":"b",}`, wantErr: ErrSyntax},
		{name: "bad literal", in: `{"eventSource":"a","eventName":"b","n":tru}`, wantErr: ErrSyntax},
		{name: "too deep", in: `{"eventSource":"a","eventName":"b","n":` + strings.Repeat("[", maxScanDepth) + strings.Repeat("]", maxScanDepth) + `}`, wantErr: ErrSyntax},
		{name: "deep within limit", in: `{"eventSource":"a","eventName":"b","n":` + strings.Repeat("[", maxScanDepth-1) + strings.Repeat("]", maxScanDepth-1) + `}`, src: "a", event: "b"},
		{name: "not JSON", in: `CWL CONTROL MESSAGE`, wantErr: ErrSyntax},
		{name: "empty", in: ``, wantErr: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Scan([]byte(tt.in))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.EventSource != tt.src || h.EventName != tt.event {
				t.Errorf("head %+v, want source %q name %q", h, tt.src, tt.event)
			}
			// encoding/json agrees on validity and, for valid records, Parse does too
			// unless a field has the wrong type.
			if !json.Valid([]byte(tt.in)) {
				t.Error("encoding/json rejects what Scan accepted")
			}
		})
	}
}

func TestScanMembers(t *testing.T) {
	in := `{"eventSource":"s","errorCode":"x","userIdentity":{"type":"Root","a":[1,{"b":null}]} ,"k\u002edots":1,"errorCode":"AccessDenied","eventName":"n"}`
	ms, h, err := ScanMembers([]byte(in), nil)
	if err != nil || h.EventName != "n" || h.EventSource != "s" {
		t.Fatalf("ScanMembers = %+v, %v", h, err)
	}
	want := []Member{{"eventSource", []byte(`"s"`)}, {"errorCode", []byte(`"x"`)}, {"userIdentity", []byte(`{"type":"Root","a":[1,{"b":null}]}`)},
		{"k.dots", []byte("1")}, {"errorCode", []byte(`"AccessDenied"`)}, {"eventName", []byte(`"n"`)}}
	if !reflect.DeepEqual(ms, want) {
		t.Errorf("members %q, want %q", ms, want)
	}
	if ms, _, err := ScanMembers([]byte(`{"a":1,"b":`), make([]Member, 0, 4)); err == nil || len(ms) != 1 {
		t.Errorf("truncated record: %q, %v", ms, err)
	}
}

// Scan agrees with the sample corpus: every record Parse accepts, Scan
// accepts with the same names.
func TestScanSamples(t *testing.T) {
	for _, m := range sampleMessages(t) {
		r, perr := Parse([]byte(m))
		h, serr := Scan([]byte(m))
		if perr == nil && (serr != nil || h.EventName != r.EventName || h.EventSource != r.EventSource) {
			t.Errorf("Parse accepted %.80s, Scan: %+v %v", m, h, serr)
		}
		if perr != nil && serr == nil {
			t.Errorf("Scan accepted %.80s, Parse: %v", m, perr)
		}
	}
}

// FuzzScan holds Scan to encoding/json: the same verdict on validity, and
// the same top-level eventSource and eventName.
func FuzzScan(f *testing.F) {
	for _, m := range sampleMessages(f) {
		f.Add([]byte(m))
	}
	for _, s := range []string{`{"eventSource":"a","eventName":"b"}`, `{"event\u004eame":"x","eventSource":"\ud83d\ude00"}`,
		`{"eventName":"a","eventName":"b","eventSource":"c","n":[1e5,-0.5,{"k":null}]}`, "{\"eventName\":\"\xc3\",\"eventSource\":\"x\"}", `[1]`, `"s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Scan(b)
		trimmed := bytes.TrimLeft(b, " \t\r\n")
		isObject := json.Valid(b) && len(trimmed) > 0 && trimmed[0] == '{'
		if errors.Is(err, ErrSyntax) == isObject {
			t.Fatalf("Scan error %v, encoding/json valid object %v", err, isObject)
		}
		if !isObject {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		src, _ := m["eventSource"].(string)
		name, _ := m["eventName"].(string)
		if h.EventSource != src || h.EventName != name {
			t.Fatalf("head %+v, encoding/json %q %q", h, src, name)
		}
		if (err == nil) != (src != "" && name != "") {
			t.Fatalf("error %v for source %q name %q", err, src, name)
		}
		ms, _, err2 := ScanMembers(b, nil)
		if err2 != nil && !errors.Is(err2, ErrMissingField) {
			t.Fatalf("ScanMembers: %v", err2)
		}
		last := map[string]any{}
		for _, mb := range ms {
			var v any
			if err := json.Unmarshal(mb.Value, &v); err != nil {
				t.Fatalf("member %q: %v", mb.Key, err)
			}
			last[mb.Key] = v
		}
		if !reflect.DeepEqual(last, m) {
			t.Fatalf("members give %#v, encoding/json %#v", last, m)
		}
	})
}
