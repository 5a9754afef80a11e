//go:build unix

package proc

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestKillGroupStopsTheChildAndItsChildren(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 30 & sleep 30 & wait")
	cmd.SysProcAttr = OwnGroup()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if err := KillGroup(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the group leader survived KillGroup")
	}
	// No process of the group is left once the orphans are reaped.
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-cmd.Process.Pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatal("processes of the group are still running")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTerminate(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := Terminate(cmd.Process); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if err == nil || !ok || ws.Signal() != syscall.SIGTERM {
		t.Errorf("wait = %v, status %v", err, cmd.ProcessState)
	}
}
