//go:build unix && !linux

package pgtest

import "syscall"

// procAttr runs the server as cred (nil: as this user).
func procAttr(cred *syscall.Credential) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred}
}
