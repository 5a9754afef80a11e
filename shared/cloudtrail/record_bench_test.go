package cloudtrail

import "testing"

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
