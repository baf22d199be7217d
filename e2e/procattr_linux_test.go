//go:build linux

package e2e

import "syscall"

// childProcAttr makes the kernel SIGKILL a gateway if the test process dies
// without running its cleanups (e.g. the -timeout panic or a kill of
// `go test`), so no caddy is left holding ports. Caveat: the signal is tied
// to the OS thread that forked the child, and Go only retires threads whose
// goroutine exited while locked to it, which the harness never does.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
