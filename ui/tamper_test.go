package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"lunas/domain"
)

type alarmAudit struct{ what string }

func (alarmAudit) VerifyAudit(context.Context, domain.Actor) (int, error) { return 0, nil }
func (a alarmAudit) AuditAlarm(context.Context) (string, time.Time, error) {
	return a.what, time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC), nil
}

// TestTamperAlarmShownAtSignIn: a raised tamper alarm is shown in red to
// whoever signs in, whatever other banner is up; none is shown without one.
func TestTamperAlarmShownAtSignIn(t *testing.T) {
	for _, what := range []string{"", "entries 5 to 6 were removed"} {
		env := newTestEnv(t, false)
		svc := env.services()
		svc.Audit = alarmAudit{what}
		u := newTestUI(t, svc, domain.RoleStaff)
		<-u.tamperDone
		testQueue.drain()
		got := u.TamperAlarmText()
		if what == "" && got != "" || what != "" && (!strings.Contains(got, what) || !strings.Contains(got, "Tamper alarm")) {
			t.Errorf("alarm %q: shown %q", what, got)
		}
	}
}
