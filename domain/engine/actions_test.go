package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"lunas/domain"
	"lunas/domain/engine"
)

// sellerTransfer settles one order and returns the seller's transfer.
func (f *fixture) sellerTransfer() domain.Transfer {
	f.t.Helper()
	ext := f.order(200000)
	f.settle(ext, 200000)
	for _, x := range f.transfers() {
		if x.PayeeID == f.payees[0].ID && x.Status != domain.TransferSucceeded {
			return x
		}
	}
	f.t.Fatal("no seller transfer")
	return domain.Transfer{}
}

func held(cfg *engine.Config) { cfg.Limits.PerTransfer = 1 }

type codes struct{ ok string }

func (c codes) VerifyCode(ctx context.Context, a domain.Actor, code string) error {
	if code != c.ok {
		return errors.New("wrong code")
	}
	return nil
}

var errWrongCode = errors.New("wrong code")

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("want %v, got %v", target, err)
	}
	var r *engine.Refusal
	if errors.As(err, &r) && (r.ID == "" || r.EN == "") {
		t.Fatalf("refusal without both languages: %v", err)
	}
}

func TestApprove(t *testing.T) {
	ctx := context.Background()
	t.Run("approves a batch with one code, then sends", func(t *testing.T) {
		f := newFixture(t, held, func(c *engine.Config) { c.Codes = codes{"123456"} })
		a, b := f.sellerTransfer(), f.sellerTransfer()
		if err := f.e.Approve(ctx, owner, "123456", a.RefID, b.RefID); err != nil {
			t.Fatal(err)
		}
		f.send()
		for _, r := range []string{a.RefID, b.RefID} {
			if got := f.transfer(r); got.Status != domain.TransferSucceeded || got.ApprovedBy != "sari" {
				t.Fatalf("%+v", got)
			}
		}
	})
	refusals := []struct {
		name  string
		actor domain.Actor
		code  string
		prep  func(f *fixture, ref string)
		users int
		want  error
	}{
		{"staff may not approve", staff, "123456", nil, 1, domain.ErrPermission},
		{"viewer may not approve", viewer, "123456", nil, 1, domain.ErrPermission},
		{"wrong code", owner, "000000", nil, 1, nil},
		{"already approved", owner, "123456", func(f *fixture, ref string) {
			if err := f.e.Approve(ctx, owner2, "123456", ref); err != nil {
				t.Fatal(err)
			}
		}, 1, domain.ErrInvalidTransition},
		{"own transfer with other users", owner, "123456", nil, 2, domain.ErrPermission},
		{"unknown refid", owner, "123456", nil, 1, domain.ErrNotFound},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, held, func(cfg *engine.Config) {
				cfg.Codes = codes{"123456"}
				cfg.UserCount = func(context.Context) (int, error) { return c.users, nil }
			})
			tr := f.sellerTransfer()
			ref := tr.RefID
			if c.name == "own transfer with other users" {
				// A person created this attempt (send again); they may not approve it.
				f.db.Write(ctx, func(tx domain.Tx) error { return nil })
				f.ch.plan(ref, stepFail)
				f.e.Approve(ctx, owner2, "123456", ref)
				f.send()
				child, err := f.e.SendAgain(ctx, owner, ref, "")
				if err != nil {
					t.Fatal(err)
				}
				ref = child.RefID
			}
			if c.name == "unknown refid" {
				ref = "LNS-000000-NOPE"
			}
			if c.prep != nil {
				c.prep(f, ref)
			}
			err := f.e.Approve(ctx, c.actor, c.code, ref)
			if c.want == nil {
				if err == nil || err.Error() != errWrongCode.Error() {
					t.Fatalf("want code error, got %v", err)
				}
			} else {
				wantErr(t, err, c.want)
			}
		})
	}
	t.Run("blocked by a risk rule", func(t *testing.T) {
		f := newFixture(t, func(c *engine.Config) {
			c.Risk = riskFn(engine.Assessment{Block: true, Reasons: []string{"payout above settled"}})
		})
		tr := f.sellerTransfer()
		wantErr(t, f.e.Approve(ctx, owner, "", tr.RefID), domain.ErrUnsafe)
		if err := f.e.Reject(ctx, owner, tr.RefID, "blocked by AML"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("batch is all or nothing", func(t *testing.T) {
		f := newFixture(t, held)
		a := f.sellerTransfer()
		wantErr(t, f.e.Approve(ctx, owner, "", a.RefID, "LNS-000000-NOPE"), domain.ErrNotFound)
		if got := f.transfer(a.RefID); got.Status != domain.TransferAwaitingApproval {
			t.Fatalf("partially approved: %s", got.Status)
		}
	})
}

func TestReject(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, held)
	tr := f.sellerTransfer()
	wantErr(t, f.e.Reject(ctx, staff, tr.RefID, "no"), domain.ErrPermission)
	wantErr(t, f.e.Reject(ctx, owner, tr.RefID, "  "), domain.ErrInvalid)
	if err := f.e.Reject(ctx, owner, tr.RefID, "wrong account"); err != nil {
		t.Fatal(err)
	}
	if got := f.transfer(tr.RefID); got.Status != domain.TransferRejected || got.FailureReason != "wrong account" {
		t.Fatalf("%+v", got)
	}
	wantErr(t, f.e.Reject(ctx, owner, tr.RefID, "again"), domain.ErrInvalidTransition)
	// A sent transfer cannot be rejected.
	g := newFixture(t)
	s := g.sellerTransfer()
	g.send()
	wantErr(t, g.e.Reject(ctx, owner, s.RefID, "too late"), domain.ErrInvalidTransition)
}

func TestCheckNowAndRetry(t *testing.T) {
	ctx := context.Background()
	t.Run("check now resolves unknown", func(t *testing.T) {
		f := newFixture(t)
		tr := f.sellerTransfer()
		f.ch.plan(tr.RefID, stepDrop)
		f.send()
		if got := f.transfer(tr.RefID); got.Status != domain.TransferUnknown {
			t.Fatalf("dropped answer must be unknown, got %s", got.Status)
		}
		_, err := f.e.CheckNow(ctx, viewer, tr.RefID)
		wantErr(t, err, domain.ErrPermission)
		got, err := f.e.CheckNow(ctx, staff, tr.RefID)
		if err != nil || got.Status != domain.TransferSucceeded || f.ch.paidCount(tr.RefID) != 1 {
			t.Fatalf("%+v %v paid=%d", got, err, f.ch.paidCount(tr.RefID))
		}
	})
	t.Run("check now refuses a transfer never sent", func(t *testing.T) {
		f := newFixture(t, held)
		tr := f.sellerTransfer()
		_, err := f.e.CheckNow(ctx, staff, tr.RefID)
		wantErr(t, err, domain.ErrUnsafe)
	})
	t.Run("retry resends the same REFID when the gateway never got it", func(t *testing.T) {
		f := newFixture(t)
		tr := f.sellerTransfer()
		f.ch.plan(tr.RefID, stepLost)
		f.send()
		got, err := f.e.Retry(ctx, staff, tr.RefID)
		if err != nil || got.Status != domain.TransferSucceeded || got.Attempts != 2 || f.ch.paidCount(tr.RefID) != 1 {
			t.Fatalf("%+v %v", got, err)
		}
		if n := len(f.transfers()); n != 2 {
			t.Fatalf("retry must not create a REFID: %d transfers", n)
		}
	})
	t.Run("retry past the idempotency window is refused", func(t *testing.T) {
		f := newFixture(t)
		w := windowed{f.ch}
		f.ch.window = 24 * time.Hour
		f2 := newFixture(t, func(c *engine.Config) { c.Channels["xendit"] = w })
		_ = f
		f2.ch = w.channel
		tr := f2.sellerTransfer()
		f2.ch.plan(tr.RefID, stepLost)
		f2.send()
		f2.clk.Add(25 * time.Hour)
		_, err := f2.e.Retry(ctx, staff, tr.RefID)
		wantErr(t, err, domain.ErrUnsafe)
		if got := f2.transfer(tr.RefID); got.Status != domain.TransferUnknown || f2.ch.sends[tr.RefID] != 1 {
			t.Fatalf("past window: %+v sends=%d", got, f2.ch.sends[tr.RefID])
		}
	})
	refusals := []struct {
		name string
		prep func(f *fixture) string
	}{
		{"succeeded", func(f *fixture) string { tr := f.sellerTransfer(); f.send(); return tr.RefID }},
		{"failed", func(f *fixture) string {
			tr := f.sellerTransfer()
			f.ch.plan(tr.RefID, stepFail)
			f.send()
			return tr.RefID
		}},
		{"awaiting approval", func(f *fixture) string {
			f.e.Pause(context.Background(), owner)
			tr := f.sellerTransfer()
			f.db.Write(context.Background(), func(tx domain.Tx) error {
				return tx.MoveTransfer(tr.RefID, domain.TransferApproved, domain.TransferAwaitingApproval, domain.TransferPatch{})
			})
			return tr.RefID
		}},
	}
	for _, c := range refusals {
		t.Run("retry refused: "+c.name, func(t *testing.T) {
			f := newFixture(t)
			ref := c.prep(f)
			_, err := f.e.Retry(ctx, staff, ref)
			wantErr(t, err, domain.ErrUnsafe)
			_, err = f.e.Retry(ctx, viewer, ref)
			wantErr(t, err, domain.ErrPermission)
		})
	}
}

func TestSendAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.e = mustEngineWithSecond(t, f)
	tr := f.sellerTransfer()
	f.ch.plan(tr.RefID, stepDrop)
	f.send() // unknown
	_, err := f.e.SendAgain(ctx, staff, tr.RefID, "")
	wantErr(t, err, domain.ErrUnsafe) // outcome not known
	f.track()
	_, err = f.e.SendAgain(ctx, staff, tr.RefID, "")
	wantErr(t, err, domain.ErrUnsafe) // succeeded

	fail := f.sellerTransfer()
	_, err = f.e.SendAgain(ctx, staff, fail.RefID, "")
	wantErr(t, err, domain.ErrUnsafe) // not sent yet
	f.ch.plan(fail.RefID, stepFail)
	f.send()
	_, err = f.e.SendAgain(ctx, viewer, fail.RefID, "")
	wantErr(t, err, domain.ErrPermission)
	_, err = f.e.SendAgain(ctx, staff, fail.RefID, "nowhere")
	wantErr(t, err, domain.ErrUnsafe)
	child, err := f.e.SendAgain(ctx, staff, fail.RefID, "second") // reroute
	if err != nil {
		t.Fatal(err)
	}
	if child.ParentRefID != fail.RefID || child.Status != domain.TransferAwaitingApproval || child.Channel != "second" || child.RefID == fail.RefID || child.CreatedBy != "dewi" {
		t.Fatalf("child %+v", child)
	}
	_, err = f.e.SendAgain(ctx, staff, fail.RefID, "")
	wantErr(t, err, domain.ErrUnsafe) // already sent again
	if err := f.e.Approve(ctx, owner, "", child.RefID); err != nil {
		t.Fatal(err)
	}
	f.send()
	if got := f.transfer(child.RefID); got.Status != domain.TransferSucceeded {
		t.Fatalf("child %s", got.Status)
	}
	f.checkLedger()
}

// mustEngineWithSecond rebuilds f's engine with a second channel for reroutes.
func mustEngineWithSecond(t *testing.T, f *fixture) *engine.Engine {
	e, err := engine.New(engine.Config{Store: f.db, Payments: map[string]domain.PaymentGateway{"xendit": f.gw},
		Channels: map[string]domain.PayoutChannel{"xendit": f.ch, "second": newChannel("second")}, DefaultChannel: "xendit", Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCancel(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tr := f.sellerTransfer()
	f.ch.plan(tr.RefID, stepAccept)
	f.send()
	_, err := f.e.Cancel(ctx, owner, tr.RefID)
	wantErr(t, err, domain.ErrUnsafe) // channel cannot cancel

	g := newFixture(t)
	cc := cancelChannel{g.ch}
	g.e, _ = engine.New(engine.Config{Store: g.db, Payments: map[string]domain.PaymentGateway{"xendit": g.gw},
		Channels: map[string]domain.PayoutChannel{"xendit": cc}, DefaultChannel: "xendit", Now: g.clk.Now})
	a := g.sellerTransfer()
	_, err = g.e.Cancel(ctx, owner, a.RefID)
	wantErr(t, err, domain.ErrInvalidTransition) // not sent
	g.ch.plan(a.RefID, stepAccept)
	g.send()
	_, err = g.e.Cancel(ctx, staff, a.RefID)
	wantErr(t, err, domain.ErrPermission)
	got, err := g.e.Cancel(ctx, owner, a.RefID)
	if err != nil || got.Status != domain.TransferCancelled {
		t.Fatalf("%+v %v", got, err)
	}
	// A cancelled attempt may be sent again.
	if _, err := g.e.SendAgain(ctx, owner, a.RefID, ""); err != nil {
		t.Fatal(err)
	}
}

func TestPauseResume(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	wantErr(t, f.e.Pause(ctx, staff), domain.ErrPermission)
	if err := f.e.Pause(ctx, owner); err != nil {
		t.Fatal(err)
	}
	tr := f.sellerTransfer()
	f.send()
	if got := f.transfer(tr.RefID); got.Status != domain.TransferApproved {
		t.Fatalf("paused engine sent: %s", got.Status)
	}
	if err := f.e.Resume(ctx, owner); err != nil {
		t.Fatal(err)
	}
	f.send()
	if got := f.transfer(tr.RefID); got.Status != domain.TransferSucceeded {
		t.Fatalf("%s", got.Status)
	}
}

func TestSendAgainRefusedWhileAnotherAttemptIsOpen(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.sellerTransfer()
	f.ch.plan(a.RefID, stepFail)
	f.send()
	// Another attempt for the same obligation whose outcome is unknown
	// (for instance recorded by an older version or imported).
	err := f.db.Write(ctx, func(tx domain.Tx) error {
		other := domain.Transfer{RefID: engine.NewRefID(f.clk.Now()), ObligationID: a.ObligationID, PayeeID: a.PayeeID, Channel: "xendit",
			Amount: a.Amount, Status: domain.TransferUnknown, CreatedBy: "engine", CreatedAt: f.clk.Now(), UpdatedAt: f.clk.Now()}
		return tx.CreateTransfer(&other)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.e.SendAgain(ctx, owner, a.RefID, "")
	wantErr(t, err, domain.ErrUnsafe)
}

func TestRetryRefusedWhileSending(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a := f.sellerTransfer()
	f.db.Write(ctx, func(tx domain.Tx) error {
		return tx.MoveTransfer(a.RefID, domain.TransferApproved, domain.TransferSending, domain.TransferPatch{IncAttempts: true})
	})
	_, err := f.e.Retry(ctx, staff, a.RefID)
	wantErr(t, err, domain.ErrUnsafe)
	_, err = f.e.SendAgain(ctx, owner, a.RefID, "")
	wantErr(t, err, domain.ErrUnsafe)
	_, err = f.e.Cancel(ctx, owner, a.RefID)
	wantErr(t, err, domain.ErrInvalidTransition)
}
