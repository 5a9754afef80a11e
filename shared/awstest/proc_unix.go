//go:build unix

package awstest

import (
	"os"
	"syscall"
)

// ownProcessGroup keeps a terminal's Ctrl-C from reaching the server
// directly; we stop it in order instead.
func ownProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// terminate asks a process to stop.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// killGroup kills every process in the group led by pid.
func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }
