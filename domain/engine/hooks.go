package engine

import (
	"context"
	"sort"
	"strings"

	"lunas/domain"
)

// Assessment is what the risk checker decided for one new transfer.
type Assessment struct {
	Hold    bool     // needs a person's approval before sending
	Block   bool     // must never be sent as is (e.g. payout above what was settled)
	Reasons []string // readable reasons for the approval queue
}

// RiskChecker is consulted at the approval point for every new transfer, inside the
// settlement (or send-again) write transaction, before the transfer's first status is chosen.
// It may record flags through its own interface on tx (type assertion).
type RiskChecker interface {
	Assess(ctx context.Context, tx domain.Tx, t domain.Transfer) (Assessment, error)
}

// CodeVerifier checks an approver's fresh TOTP code (one code approves a batch; replays refused).
type CodeVerifier interface {
	VerifyCode(ctx context.Context, actor domain.Actor, code string) error
}

// ApprovalCodeVerifier is optionally implemented by a CodeVerifier that
// knows what the code approves: the same code submitted again for the same
// approval (a double-click, a retried request) within its time step is the
// same approval, accepted without counting a failure; subject names the
// approval (ApprovalSubject of the REFIDs).
type ApprovalCodeVerifier interface {
	VerifyApprovalCode(ctx context.Context, actor domain.Actor, code, subject string) error
}

// ApprovalSubject names an approval of refIDs, in any order.
func ApprovalSubject(refIDs []string) string {
	s := append([]string(nil), refIDs...)
	sort.Strings(s)
	return strings.Join(s, ",")
}
