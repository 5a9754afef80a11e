// Package proc starts and stops the helper processes local runs and tests
// use (moto_server, the Lambda emulator) so that none outlives its parent.
package proc
