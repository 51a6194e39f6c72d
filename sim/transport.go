package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"lunas/gateways/doku"
	"lunas/gateways/sandbox"
)

// fault is what the transport does to one request.
type fault int

const (
	faultNone       fault = iota
	faultLatency          // the answer comes late (maybe after the deadline)
	faultRefused          // connection refused: the gateway never saw it
	fault5xx              // the gateway answers 5xx without acting (sandbox error shape)
	fault429              // the gateway answers 429 with Retry-After/Rate-Limit-Reset, without acting
	faultHangBefore       // the request hangs until the client gives up; never acted on
	faultHangAfter        // the gateway acts, then the answer never comes (timeout)
	faultDropAfter        // the gateway acts, then the connection breaks
	fault502After         // the gateway acts, then a proxy in between answers 502
	faultStale            // a status read shows the previous state (sandbox)
	faultDuplicate        // a status read repeats the current state (sandbox)
	faultReorder          // a read returns an older answer to the same request
	faultReverse          // a payout created now succeeds, then is reversed (sandbox)
	faultMissing          // a search (payouts by reference, statements) lags: it finds nothing yet
	nFaults
)

var faultNames = [nFaults]string{"", "latency", "refused", "5xx", "429", "hang-before", "hang-after", "drop-after",
	"502-after", "stale", "duplicate", "reorder", "reverse", "missing"}

func (f fault) String() string { return faultNames[f] }

// netError is a transport error the way net/http reports one.
type netError struct {
	msg     string
	timeout bool
}

func (e *netError) Error() string   { return e.msg }
func (e *netError) Timeout() bool   { return e.timeout }
func (e *netError) Temporary() bool { return e.timeout }

// errCrashed is what a component of a crashed process sees until it is
// thrown away: nothing it does after the crash point reaches the store or
// the gateway.
var errCrashed = errors.New("sim: the process crashed here")

// transport is the in-process network between one adapter and the sandbox:
// an http.RoundTripper that calls the sandbox's handler directly, with the
// faults drawn from the run's seed. attempt is the adapter's own per-attempt
// timeout (what its http.Client would wait before giving up).
type transport struct {
	w       *world
	gateway string // adapter name for the trace
	attempt time.Duration
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	w := t.w
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	what := describe(req, body)
	if w.crashed {
		return nil, errCrashed
	}
	w.requests++
	w.model.stats.Requests++
	if w.crashPlan.at == crashAtRequest && w.requests == w.crashPlan.n && !w.crashPlan.after {
		w.crash("before " + what + " left")
		return nil, errCrashed
	}
	now := w.clock.Now()
	if now.Before(w.gatewayDownUntil) {
		w.tracef("net  %s %s -> refused (gateway restarting)", t.gateway, what)
		return nil, &netError{msg: "dial tcp 127.0.0.1:443: connect: connection refused"}
	}
	f := w.drawFault(req.Method, isCreate(req), isPayout(req), isSearch(req))
	if f != faultNone {
		w.model.stats.Faults++
	}
	switch f {
	case faultRefused:
		w.tracef("net  %s %s -> refused", t.gateway, what)
		return nil, &netError{msg: "dial tcp 127.0.0.1:443: connect: connection refused"}
	case faultHangBefore:
		err := t.hang(ctx)
		w.tracef("net  %s %s -> no answer (%s), not received", t.gateway, what, shortErr(err))
		return nil, err
	case faultLatency:
		d := time.Duration(w.frng.Int64N(int64(t.attempt + t.attempt/2)))
		if err := t.wait(ctx, d); err != nil {
			w.tracef("net  %s %s -> no answer after %s (%s), not received", t.gateway, what, d, shortErr(err))
			return nil, err
		}
	case fault5xx:
		w.sb.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: sandbox.FaultServerError, Count: 1, Status: []int{500, 502, 503}[w.frng.IntN(3)]})
	case fault429:
		w.sb.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: sandbox.FaultRateLimit, Count: 1, RetryAfter: fmt.Sprint(1 + w.frng.IntN(30))})
	case faultStale:
		w.sb.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: sandbox.FaultStale, Count: 1})
	case faultDuplicate:
		w.sb.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: sandbox.FaultDuplicate, Count: 1})
	case faultReverse:
		w.sb.Faults().Add(sandbox.Fault{Endpoint: "*", Kind: sandbox.FaultReverse, Count: 1})
	case faultReorder:
		if old, ok := w.oldAnswer(req.URL.String()); ok {
			w.tracef("net  %s %s -> %d (an older answer)", t.gateway, what, old.status)
			return old.response(req), nil
		}
	}
	held := req.URL.Path == doku.PathToken // doku.Client.accessToken holds its token lock
	w.interleave("while "+what+" is on its way", held)
	if w.crashed {
		return nil, errCrashed
	}
	rec := httptest.NewRecorder()
	sreq := req.Clone(ctx)
	sreq.Body = io.NopCloser(bytes.NewReader(body))
	sreq.ContentLength = int64(len(body))
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:50000"
	w.sb.ServeHTTP(rec, sreq)
	w.sb.Faults().Clear() // a rule the request did not consume (a 429 of the rate limit came first) ends with it
	ans := answer{status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
	if w.crashPlan.at == crashAtRequest && w.requests == w.crashPlan.n && w.crashPlan.after {
		w.crash("after the gateway acted on " + what + ", before its answer arrived")
		return nil, errCrashed
	}
	w.interleave("while the answer to "+what+" is on its way", held)
	if w.crashed {
		return nil, errCrashed
	}
	switch f {
	case faultHangAfter:
		err := t.hang(ctx)
		w.tracef("net  %s %s -> %d at the gateway, answer lost (%s)", t.gateway, what, ans.status, shortErr(err))
		return nil, err
	case faultDropAfter:
		w.tracef("net  %s %s -> %d at the gateway, connection reset", t.gateway, what, ans.status)
		return nil, &netError{msg: "read tcp 127.0.0.1:50000->127.0.0.1:443: read: connection reset by peer"}
	case fault502After:
		w.tracef("net  %s %s -> %d at the gateway, 502 from the proxy", t.gateway, what, ans.status)
		return (&answer{status: 502, header: http.Header{"Content-Type": {"text/html"}},
			body: []byte("<html><body><h1>502 Bad Gateway</h1></body></html>")}).response(req), nil
	}
	if req.Method == http.MethodGet && ans.status == 200 {
		w.keepAnswer(req.URL.String(), ans)
	}
	if f == faultMissing && ans.status == 200 {
		ans.body = emptyList(ans.body)
	}
	tag := ""
	if f != faultNone {
		tag = " [" + f.String() + "]"
	}
	w.tracef("net  %s %s -> %d%s%s", t.gateway, what, ans.status, tag, summary(ans))
	return ans.response(req), nil
}

// hang waits until the client gives up: its own attempt timeout, or the
// call's deadline if that comes first.
func (t *transport) hang(ctx context.Context) error {
	return t.wait(ctx, t.attempt)
}

// wait lets d pass; past the attempt timeout the client gives up.
func (t *transport) wait(ctx context.Context, d time.Duration) error {
	if d >= t.attempt {
		if err := t.w.clock.Sleep(ctx, t.attempt); err != nil {
			return err
		}
		return &netError{msg: "context deadline exceeded (Client.Timeout exceeded while awaiting headers)", timeout: true}
	}
	return t.w.clock.Sleep(ctx, d)
}

// answer is one HTTP answer of the sandbox.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a *answer) response(req *http.Request) *http.Response {
	return &http.Response{
		Status: fmt.Sprintf("%d %s", a.status, http.StatusText(a.status)), StatusCode: a.status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: a.header.Clone(),
		Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body)), Request: req,
	}
}

// isCreate reports requests that create a payout (where a reversal fault applies).
func isCreate(req *http.Request) bool {
	p := req.URL.Path
	switch {
	case req.Method == http.MethodPost && (p == "/v2/payouts" || strings.HasSuffix(p, "/iris/api/v1/payouts")):
		return true
	case strings.HasSuffix(p, "/h2h/trx") && req.URL.Query().Get("check") == "" && req.URL.Query().Get("refID") != "":
		return true
	case req.Method == http.MethodPost && strings.HasSuffix(p, "/h2h/text"):
		return true
	case req.Method == http.MethodPost && p == "/snap/v1.1/emoney/transfer-bank": // Kirim DOKU
		return true
	}
	return false
}

// isSearch reports reads that search the gateway's records rather than
// read one by its id (an index that may lag behind what was just made):
// Xendit's payouts by reference_id, Iris's statements.
func isSearch(req *http.Request) bool {
	p := req.URL.Path
	return (p == "/v2/payouts" && req.URL.Query().Get("reference_id") != "") || strings.HasSuffix(p, "/iris/api/v1/statements")
}

// emptyList is a list answer with its items taken out, in the same shape.
func emptyList(body []byte) []byte {
	b := bytes.TrimSpace(body)
	if len(b) > 0 && b[0] == '[' {
		return []byte("[]\n")
	}
	return []byte(`{"data":[],"has_more":false}` + "\n")
}

// isPayout reports requests about payouts (create, status, approve, cancel).
func isPayout(req *http.Request) bool {
	p := req.URL.Path
	return strings.HasPrefix(p, "/v2/payouts") || strings.Contains(p, "/iris/api/v1/payouts") || strings.HasSuffix(p, "/h2h/trx") || strings.HasSuffix(p, "/h2h/text") ||
		strings.HasPrefix(p, "/snap/v1.1/emoney/") || p == "/snap/v1.1/qr/qr-mpm-status"
}

// describe names a request for the trace: method, path and the reference it is about.
func describe(req *http.Request, body []byte) string {
	s := req.Method + " " + req.URL.Path
	q := req.URL.Query()
	for _, k := range []string{"reference_id", "refID", "check"} {
		if v := q.Get(k); v != "" {
			s += " " + k + "=" + v
		}
	}
	for _, h := range []string{"Idempotency-Key", "X-Idempotency-Key"} {
		if v := req.Header.Get(h); v != "" {
			s += " key=" + v
		}
	}
	if req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/h2h/text") {
		if i := bytes.Index(body, []byte("R#")); i >= 0 {
			ref := body[i:]
			if j := bytes.IndexAny(ref, ". \n"); j > 0 {
				ref = ref[:j]
			}
			s += " " + string(ref)
		}
	}
	return s
}

// summary is the part of an answer worth a trace line: a status word.
func summary(a answer) string {
	b := a.body
	for _, k := range []string{`"status":"`, `"transaction_status":"`} {
		if i := bytes.Index(b, []byte(k)); i >= 0 {
			v := b[i+len(k):]
			if j := bytes.IndexByte(v, '"'); j >= 0 {
				return " " + string(v[:j])
			}
		}
	}
	if ct := a.header.Get("Content-Type"); strings.HasPrefix(ct, "text/plain") {
		s := string(b)
		if len(s) > 60 {
			s = s[:60]
		}
		return " " + strings.TrimSpace(s)
	}
	return ""
}

func shortErr(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "call deadline"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var ne *netError
	if errors.As(err, &ne) && ne.timeout {
		return "client timeout"
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}
