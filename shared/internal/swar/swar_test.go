package swar

import (
	"encoding/binary"
	"testing"
)

// naive is the byte-by-byte definition Special must agree with.
func naive(w uint64) bool {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], w)
	for _, c := range b {
		if c == '"' || c == '\\' || c < 0x20 {
			return true
		}
	}
	return false
}

func TestSpecial(t *testing.T) {
	for _, s := range []string{"abcdefgh", "abc\"defg", "\\bcdefgh", "abcdefg\x1f", "\x80\xff\x7f\x21\x5b\x5d\x23\x20", "\x00aaaaaaa", "\x22\x22\x22\x22\x22\x22\x22\x22"} {
		w := binary.LittleEndian.Uint64([]byte(s))
		if Special(w) != naive(w) {
			t.Errorf("Special(%q) = %v", s, Special(w))
		}
	}
}

func TestSkip(t *testing.T) {
	for _, tt := range []struct {
		s    string
		from int
		want int
		high bool
	}{
		{"abcdefghijklmnop\"", 0, 16, false},
		{"abcdefghij\"lmnopq", 0, 8, false},
		{"ab\"", 0, 0, false},
		{"é1234567abcdefgh\\", 0, 16, true},
		{"xxabcdefgh", 2, 10, false},
	} {
		var acc uint64
		if got := Skip(tt.s, tt.from, &acc); got != tt.want || High(acc) != tt.high {
			t.Errorf("Skip(%q, %d) = %d (high %v), want %d (%v)", tt.s, tt.from, got, High(acc), tt.want, tt.high)
		}
		var acc2 uint64
		if got := Skip([]byte(tt.s), tt.from, &acc2); got != tt.want {
			t.Errorf("Skip([]byte %q) = %d", tt.s, got)
		}
	}
}

func FuzzSpecial(f *testing.F) {
	f.Add(uint64(0x2222222222222222))
	f.Add(uint64(0x8081828384858687))
	f.Fuzz(func(t *testing.T, w uint64) {
		if Special(w) != naive(w) {
			t.Fatalf("Special(%#x) = %v", w, Special(w))
		}
	})
}
