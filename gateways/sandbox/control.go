package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"lunas/domain"
)

// mountControl registers the control API used by tests in other processes,
// `lunas demo` and the engine's crash test. It has no authentication: the
// sandbox only serves loopback and moves no real money.
//
//	GET    /_control/health                       -> {"ok":true}
//	POST   /_control/faults          Fault JSON   -> add a fault rule
//	GET    /_control/faults                       -> active rules
//	DELETE /_control/faults                       -> clear all rules
//	GET    /_control/paid                         -> the payout book
//	GET    /_control/hits?endpoint=NAME           -> {"count":N}
//	POST   /_control/balance  {"channel","amount"} -> set a channel's balance
//	GET    /_control/balance?channel=C            -> {"channel","amount"}
//	POST   /_control/advance  {"seconds":N}       -> move the sandbox clock
//	POST   /_control/clock    {"now":"RFC3339"}   -> set the sandbox clock (forward only)
//	GET    /_control/clock                        -> {"now"}
//	POST   /_control/xendit/invoices/{id}/pay [{"amount":N}]
//	POST   /_control/xendit/invoices/{id}/expire
//	POST   /_control/xendit/payouts/{id}/reverse
func (s *Server) mountControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /_control/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /_control/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !readJSON(w, r, &f) {
			return
		}
		if f.Endpoint == "" || f.Kind == "" {
			controlError(w, 400, "endpoint and kind are required")
			return
		}
		s.faults.Add(f)
		writeJSON(w, 200, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET /_control/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, s.faults.Active())
	})
	mux.HandleFunc("DELETE /_control/faults", func(w http.ResponseWriter, r *http.Request) {
		s.faults.Clear()
		writeJSON(w, 200, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET /_control/paid", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, s.Paid())
	})
	mux.HandleFunc("GET /_control/hits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]int{"count": s.Hits(r.URL.Query().Get("endpoint"))})
	})
	mux.HandleFunc("POST /_control/balance", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Channel string        `json:"channel"`
			Amount  domain.Rupiah `json:"amount"`
		}
		if !readJSON(w, r, &b) {
			return
		}
		if b.Channel == "" || b.Amount < 0 {
			controlError(w, 400, "channel and a non-negative amount are required")
			return
		}
		s.SetBalance(b.Channel, b.Amount)
		writeJSON(w, 200, b)
	})
	mux.HandleFunc("GET /_control/balance", func(w http.ResponseWriter, r *http.Request) {
		ch := r.URL.Query().Get("channel")
		writeJSON(w, 200, map[string]any{"channel": ch, "amount": s.Balance(ch)})
	})
	mux.HandleFunc("POST /_control/advance", func(w http.ResponseWriter, r *http.Request) {
		var a struct {
			Seconds float64 `json:"seconds"`
		}
		if !readJSON(w, r, &a) {
			return
		}
		s.Advance(time.Duration(a.Seconds * float64(time.Second)))
		writeJSON(w, 200, map[string]string{"now": xtime(s.Now())})
	})
	mux.HandleFunc("POST /_control/clock", func(w http.ResponseWriter, r *http.Request) {
		var c struct {
			Now time.Time `json:"now"`
		}
		if !readJSON(w, r, &c) {
			return
		}
		if err := s.SetNow(c.Now); err != nil {
			controlError(w, http.StatusConflict, err.Error())
			return
		}
		writeJSON(w, 200, map[string]string{"now": xtime(s.Now())})
	})
	mux.HandleFunc("GET /_control/clock", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, map[string]string{"now": xtime(s.Now())})
	})
	mux.HandleFunc("POST /_control/xendit/invoices/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Amount domain.Rupiah `json:"amount"`
		}
		if r.ContentLength != 0 && !readJSON(w, r, &p) {
			return
		}
		controlResult(w, s.PayXenditInvoice(r.PathValue("id"), p.Amount))
	})
	mux.HandleFunc("POST /_control/xendit/invoices/{id}/expire", func(w http.ResponseWriter, r *http.Request) {
		controlResult(w, s.ExpireXenditInvoice(r.PathValue("id")))
	})
	mux.HandleFunc("POST /_control/xendit/payouts/{id}/reverse", func(w http.ResponseWriter, r *http.Request) {
		controlResult(w, s.ReverseXenditPayout(r.PathValue("id")))
	})
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		controlError(w, 400, "body must be JSON")
		return false
	}
	return true
}

func controlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// controlResult maps a control method's error to an HTTP answer.
func controlResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		writeJSON(w, 200, map[string]bool{"ok": true})
	case errors.Is(err, domain.ErrNotFound):
		controlError(w, 404, err.Error())
	case errors.Is(err, domain.ErrInvalidTransition):
		controlError(w, 409, err.Error())
	default:
		controlError(w, 500, err.Error())
	}
}
