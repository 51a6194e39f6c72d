package pgtest

import "syscall"

// procAttr runs the server as cred (nil: as this user) and has the kernel
// send it SIGINT (fast shutdown) if the test process dies first.
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT}
}
