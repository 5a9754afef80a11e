//go:build !unix

package localrun

import (
	"os"
	"syscall"
)

// ownProcessGroup is a no-op where process groups do not exist.
func ownProcessGroup() *syscall.SysProcAttr { return nil }

// terminate stops a process; without signals that means killing it.
func terminate(p *os.Process) error { return p.Kill() }

// killGroup kills the process pid (no groups here).
func killGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
