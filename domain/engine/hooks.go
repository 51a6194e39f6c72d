package engine

import (
	"context"

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
