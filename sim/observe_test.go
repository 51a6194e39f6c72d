package sim

import (
	"reflect"
	"slices"
	"testing"
)

// notAsserted are adapter methods the engine never reaches through an
// interface: hiding them behind the observer changes nothing.
var notAsserted = []string{
	"CreatePayment", "PaymentStatus", "RecentPaid", "RecentPaidFrom", "RecentPayments", "HTTP", "PayoutByID", "Remember",
	"Reject", "InvoiceByID", "ParseInvoiceCallback", "ParsePayoutCallback", "VerifyCallbackToken", "VerifyNotification",
	"ListPayouts", "Channels", "ExpirePayment", // reconciliation and settings use them, not the engine
}

// The observer around each payout channel must keep every method the engine
// may look for with a type assertion (a resend window, cancel, a reversal
// report...): a hidden one silently changes what the engine does. A new
// adapter method fails this test until observe forwards it (or it is listed
// in notAsserted).
func TestObservedKeepsEveryMethod(t *testing.T) {
	w, err := newWorld(Options{Seed: 1, Dir: scratchDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if err := w.openDB(); err != nil {
		t.Fatal(err)
	}
	_, channels, _, err := w.build(&crashStore{inner: w.db, w: w})
	if err != nil {
		t.Fatal(err)
	}
	for name, ch := range channels {
		inner := ch
		switch o := ch.(type) {
		case *observed:
			inner = o.inner
		case withWindow:
			inner = o.inner
		case withCancel:
			inner = o.inner
		case withBoth:
			inner = o.inner
		default:
			t.Fatalf("%s is not observed", name)
		}
		it, ot := reflect.TypeOf(inner), reflect.TypeOf(ch)
		for i := range it.NumMethod() {
			m := it.Method(i).Name
			if _, ok := ot.MethodByName(m); !ok && !slices.Contains(notAsserted, m) {
				t.Errorf("the observer hides %s.%s from the engine; forward it in observe.go", name, m)
			}
		}
	}
}
