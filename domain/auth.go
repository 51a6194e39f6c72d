package domain

// Role is what a user may do in Lunas.
type Role string

// Roles.
const (
	RoleOwner  Role = "owner"  // approves transfers, changes settings, manages users
	RoleStaff  Role = "staff"  // records orders, adds payees, retries stuck work
	RoleViewer Role = "viewer" // reads and exports reports
)

// Permission is one guarded action. Services check it below the UI.
type Permission string

// Permissions.
const (
	PermView            Permission = "view"             // read screens and reports
	PermExport          Permission = "export"           // export reports (masked)
	PermExportPersonal  Permission = "export_personal"  // export unmasked personal data / one person's data
	PermManageOrders    Permission = "manage_orders"    // create orders and payment links, import
	PermManagePayees    Permission = "manage_payees"    // add and edit payees and products
	PermRetry           Permission = "retry"            // check status, retry with the same REFID
	PermSendAgain       Permission = "send_again"       // prepare a child REFID after a definite failure (goes to approval)
	PermApprove         Permission = "approve"          // approve or reject transfers, clear flags
	PermCancel          Permission = "cancel"           // cancel a transfer at the gateway
	PermChangeSettings  Permission = "change_settings"  // limits, AML thresholds, polling, SMTP
	PermManageKeys      Permission = "manage_keys"      // gateway keys and PINs
	PermManageUsers     Permission = "manage_users"     // add users, change roles
	PermErasePersonal   Permission = "erase_personal"   // erase or pseudonymise a payee
	PermControlEngine   Permission = "control_engine"   // pause and resume automatic transfers
	PermVerifyAudit     Permission = "verify_audit"     // run the audit chain check
	PermImportWatchlist Permission = "import_watchlist" // replace the AML watchlist
)

// rolePermissions is the one permission table.
var rolePermissions = map[Role][]Permission{
	RoleOwner: {PermView, PermExport, PermExportPersonal, PermManageOrders, PermManagePayees,
		PermRetry, PermSendAgain, PermApprove, PermCancel, PermChangeSettings, PermManageKeys,
		PermManageUsers, PermErasePersonal, PermControlEngine, PermVerifyAudit, PermImportWatchlist},
	RoleStaff:  {PermView, PermExport, PermManageOrders, PermManagePayees, PermRetry, PermSendAgain, PermVerifyAudit},
	RoleViewer: {PermView, PermExport},
}

// Allowed reports whether role has perm.
func Allowed(role Role, perm Permission) bool {
	for _, p := range rolePermissions[role] {
		if p == perm {
			return true
		}
	}
	return false
}

// Actor is who performs an action: a signed-in user, or the engine itself.
type Actor struct {
	UserID int64
	Name   string
	Role   Role
}

// EngineActor is the actor for automatic work.
var EngineActor = Actor{Name: "engine", Role: RoleOwner}

// Can returns nil if the actor may perform perm, or an error matching ErrPermission.
func (a Actor) Can(perm Permission) error {
	if Allowed(a.Role, perm) {
		return nil
	}
	return &PermissionError{Actor: a.Name, Role: a.Role, Perm: perm}
}

// PermissionError names the refused permission. It matches ErrPermission.
type PermissionError struct {
	Actor string
	Role  Role
	Perm  Permission
}

// Error implements error.
func (e *PermissionError) Error() string {
	return "peran " + string(e.Role) + " tidak boleh melakukan ini (" + string(e.Perm) + ")"
}

// Is makes PermissionError match ErrPermission.
func (e *PermissionError) Is(target error) bool { return target == ErrPermission }

// FieldRef binds an encrypted value to where it is stored, so a ciphertext
// copied to another row, column or table does not decrypt.
type FieldRef struct {
	Table  string
	Column string
	Row    int64
}

// FieldCipher encrypts sensitive column values at rest (bank account numbers,
// gateway keys and PINs, TOTP secrets, the SMTP password). Implementations
// return an error matching ErrLocked while the key is unavailable.
type FieldCipher interface {
	Seal(plaintext string, ref FieldRef) ([]byte, error)
	Open(ciphertext []byte, ref FieldRef) (string, error)
}
