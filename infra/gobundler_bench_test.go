package main

import "testing"

// BenchmarkNewestSource measures the freshness scan every bundle runs over
// functions/ and shared/ of the real repository.
func BenchmarkNewestSource(b *testing.B) {
	root, err := repoRoot()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := newestSource(root); err != nil {
			b.Fatal(err)
		}
	}
}
