//go:build linux

package main

import "syscall"

// childProcAttr has the kernel kill a child if the load test dies without
// stopping it, so no caddy or upstream is left holding a port.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
