//go:build unix

package localrun

import (
	"os"
	"syscall"
)

// ownProcessGroup puts a child in a process group of its own, so a Ctrl-C in
// the terminal reaches only us and we stop the child in order.
func ownProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// terminate asks a process to stop.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// killGroup kills every process in the group led by pid.
func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }
