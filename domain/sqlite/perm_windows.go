//go:build windows

package sqlite

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// userOnlyACL returns a protected DACL that grants full control to the
// current user and to SYSTEM (which backup and antivirus software run as)
// and to nobody else; inherit makes files created inside a folder get it.
func userOnlyACL(inherit bool) (*windows.ACL, error) {
	tok := windows.GetCurrentProcessToken()
	u, err := tok.GetTokenUser()
	if err != nil {
		return nil, err
	}
	system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	if err != nil {
		return nil, err
	}
	flags := uint32(windows.NO_INHERITANCE)
	if inherit {
		flags = windows.SUB_CONTAINERS_AND_OBJECTS_INHERIT
	}
	entry := func(sid *windows.SID) windows.EXPLICIT_ACCESS {
		return windows.EXPLICIT_ACCESS{AccessPermissions: windows.GENERIC_ALL, AccessMode: windows.SET_ACCESS,
			Inheritance: flags, Trustee: windows.TRUSTEE{TrusteeForm: windows.TRUSTEE_IS_SID,
				TrusteeType: windows.TRUSTEE_IS_USER, TrusteeValue: windows.TrusteeValueFromSID(sid)}}
	}
	return windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{entry(u.User.Sid), entry(system)}, nil)
}

func setUserOnly(path string, inherit bool) error {
	acl, err := userOnlyACL(inherit)
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
}

// restrictFile gives path a user-only ACL (inheritance from the folder
// removed), when it exists.
func restrictFile(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return setUserOnly(path, false)
}

// createPrivate creates an empty file at path if none exists and gives it
// a user-only ACL.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		f.Close()
	} else if !errors.Is(err, os.ErrExist) {
		return err
	}
	return setUserOnly(path, false)
}

// RestrictDir gives a folder Lunas created a user-only ACL that files
// created inside it (the WAL and SHM files SQLite makes) inherit.
func RestrictDir(dir string) error { return setUserOnly(dir, true) }
