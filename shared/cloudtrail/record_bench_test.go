package cloudtrail

import (
	"encoding/json"
	"testing"
)

func BenchmarkParse(b *testing.B) {
	msgs := sampleMessages(b)
	var rec []byte
	for _, m := range msgs {
		if r, err := Parse([]byte(m)); err == nil && r.EventName == "AuthorizeSecurityGroupIngress" {
			rec = []byte(m)
		}
	}
	if rec == nil {
		b.Skip("sample record not found")
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan is the detector's per-record check, beside BenchmarkParse
// and the encoding/json validity floor on the same record.
func BenchmarkScan(b *testing.B) {
	rec := benchRecord(b)
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONValid is encoding/json's validity check on the same record.
func BenchmarkJSONValid(b *testing.B) {
	rec := benchRecord(b)
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		if !json.Valid(rec) {
			b.Fatal("invalid")
		}
	}
}

func benchRecord(b *testing.B) []byte {
	b.Helper()
	for _, m := range sampleMessages(b) {
		if r, err := Parse([]byte(m)); err == nil && r.EventName == "AuthorizeSecurityGroupIngress" {
			return []byte(m)
		}
	}
	b.Skip("sample record not found")
	return nil
}
