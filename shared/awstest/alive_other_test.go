//go:build !linux

package awstest

import (
	"os"
	"syscall"
)

// alive reports whether pid runs.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
