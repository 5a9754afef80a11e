//go:build unix

package proc

import (
	"os"
	"syscall"
)

// OwnGroup puts a child in a process group of its own, so a Ctrl-C in the
// terminal reaches only its parent, which then stops the child in order.
func OwnGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// Terminate asks a process to stop.
func Terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// KillGroup kills every process in the group led by pid.
func KillGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }
