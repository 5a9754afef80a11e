//go:build !unix

package proc

import (
	"os"
	"syscall"
)

// OwnGroup is a no-op where process groups do not exist.
func OwnGroup() *syscall.SysProcAttr { return nil }

// Terminate stops a process; without signals that means killing it.
func Terminate(p *os.Process) error { return p.Kill() }

// KillGroup kills the process pid (no groups here).
func KillGroup(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
