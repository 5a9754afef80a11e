// Package swar finds the end of a plain run of a JSON string eight bytes at a
// time (SIMD within a register). The detector's scanners spend most of their
// time inside CloudTrail's strings, where only a quote, a backslash or a
// control character needs a closer look.
package swar

const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	slashs = '\\' * ones
	spaces = 0x20 * ones
)

// Special reports whether any byte of w is a quote, a backslash or a control
// character (< 0x20). The test is exact: no byte is missed or invented.
func Special(w uint64) bool {
	q := w ^ quotes
	bs := w ^ slashs
	return ((q-ones)&^q|(bs-ones)&^bs|(w-spaces)&^w)&highs != 0
}

// load reads eight bytes at i, little-endian; the compiler merges the loads.
func load[T string | []byte](s T, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// Skip returns the first index from i on whose eight-byte block may hold a
// quote, a backslash or a control character; the caller scans on byte by
// byte from there. high accumulates the OR of the skipped blocks, so a set
// 0x80 bit (High) says non-ASCII bytes were passed.
func Skip[T string | []byte](s T, i int, high *uint64) int {
	for i+8 <= len(s) {
		w := load(s, i)
		if Special(w) {
			return i
		}
		*high |= w
		i += 8
	}
	return i
}

// High reports whether an accumulated OR of bytes has any byte ≥ 0x80.
func High(acc uint64) bool { return acc&highs != 0 }
