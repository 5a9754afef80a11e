//go:build !linux

package localrun

import (
	"os"
	"syscall"
)

// Descendants is only known on Linux (from /proc); elsewhere it is empty.
func Descendants(pid int) []int { return nil }

// ProcessRunning reports whether pid is a live process.
func ProcessRunning(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// processExe is unknown off Linux.
func processExe(pid int) string { return "" }
