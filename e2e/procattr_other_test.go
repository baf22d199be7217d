//go:build !linux

package e2e

import "syscall"

// childProcAttr: outside Linux there is no parent-death signal; cleanup
// relies on t.Cleanup alone.
func childProcAttr() *syscall.SysProcAttr { return nil }
