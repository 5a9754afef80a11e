//go:build !unix

package file

// lockDir orders nothing across processes where advisory locks are not
// available; the notifier's mutex still orders one process's writers.
func lockDir(string) (func(), error) { return func() {}, nil }
