package ipaymu

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"lunas/domain"
	"lunas/gateways"
)

// CallbackString is the text iPaymu signs a callback over
// (callback.en.mdx, "Validation Steps"): the fields with trx_id,
// status_code, transaction_status_code and paid_off as integers, is_escrow
// as a boolean, additional_info as an array (added empty when missing),
// every other field as sent; keys sorted A-Z; JSON without spaces; "/"
// written "\/" as PHP's json_encode does.
func CallbackString(fields map[string]any) (string, error) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k != "signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := marshal(k)
		vb, err := marshal(fields[k])
		if err != nil {
			return "", err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return strings.ReplaceAll(b.String(), "/", `\/`), nil
}

// CallbackSignature is hex(HMAC-SHA256(va, CallbackString(fields))).
func CallbackSignature(fields map[string]any, va string) (string, error) {
	s, err := CallbackString(fields)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, []byte(va))
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// MaxCallbackBytes bounds a callback body; iPaymu's are well under 4 KiB.
const MaxCallbackBytes = 64 << 10

var intFields = map[string]bool{"trx_id": true, "status_code": true, "transaction_status_code": true, "paid_off": true}

// CallbackFields reads a callback body (form or JSON) into the typed
// fields CallbackString signs.
func CallbackFields(contentType string, body []byte) (map[string]any, error) {
	if len(body) > MaxCallbackBytes {
		return nil, fmt.Errorf("%w: ipaymu callback of %d bytes", gateways.ErrUnparseable, len(body))
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	out := map[string]any{}
	if mt == "application/json" {
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&out); err != nil {
			return nil, fmt.Errorf("%w: ipaymu callback: %v", gateways.ErrUnparseable, err)
		}
		if out == nil {
			return nil, fmt.Errorf("%w: ipaymu callback is not an object", gateways.ErrUnparseable)
		}
	} else {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("%w: ipaymu callback: %v", gateways.ErrUnparseable, err)
		}
		for k, v := range vals {
			s := v[0]
			switch {
			case intFields[k]:
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					out[k] = s
					continue
				}
				out[k] = n
			case k == "is_escrow":
				out[k] = s == "1" || strings.EqualFold(s, "true")
			case k == "additional_info" && (s == "[]" || s == ""):
				out[k] = []any{}
			default:
				out[k] = s
			}
		}
	}
	if _, ok := out["additional_info"]; !ok {
		out["additional_info"] = []any{}
	}
	return out, nil
}

// VerifyCallback checks a callback's X-Signature with the merchant VA and
// reads it. Unsigned, tampered or malformed callbacks are refused with an
// error and logged; nothing of them is applied. A verified callback names a
// reference and a state; Lunas still takes the money's state from iPaymu's
// own transaction record (polling), the callback only says when to look.
func (c *Client) VerifyCallback(h http.Header, body []byte) (domain.PaymentResult, error) {
	refuse := func(why string, err error) (domain.PaymentResult, error) {
		c.hc.Logger().Warn("ipaymu: callback refused, not applied", "reason", why)
		return domain.PaymentResult{State: domain.PaymentStateUnknown}, err
	}
	sig := strings.ToLower(strings.TrimSpace(h.Get("X-Signature")))
	if sig == "" {
		return refuse("no X-Signature", fmt.Errorf("%w: no X-Signature", ErrSignature))
	}
	fields, err := CallbackFields(h.Get("Content-Type"), body)
	if err != nil {
		return refuse("body does not parse", err)
	}
	want, err := CallbackSignature(fields, c.cfg.VA)
	if err != nil || c.cfg.VA == "" {
		return refuse("cannot compute the signature", fmt.Errorf("%w: %v", ErrSignature, err))
	}
	a, b := sha256.Sum256([]byte(sig)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return refuse("signature does not verify", ErrSignature)
	}
	ref, _ := fields["reference_id"].(string)
	res := domain.PaymentResult{ExternalID: ref, State: domain.PaymentStateUnknown, Verified: true}
	code, ok := asInt(fields["status_code"])
	if !ok {
		return refuse("no status_code", fmt.Errorf("%w: ipaymu callback without status_code", gateways.ErrUnparseable))
	}
	if tc, ok := asInt(fields["transaction_status_code"]); ok && code == 1 {
		code = tc // 1 settled, 6 received (settlement separate)
	}
	st, ok := paymentState(int(code))
	if !ok {
		return refuse("unknown status_code", fmt.Errorf("%w: status_code %d", gateways.ErrUnknownStatus, code))
	}
	res.State, res.RawStatus = st, fmt.Sprint(fields["status"])
	if amt, ok := fields["amount"]; ok {
		if r, err := number(fmt.Sprint(amt)).rupiah(); err == nil {
			res.Amount = r
		}
	}
	if id, ok := asInt(fields["trx_id"]); ok {
		res.GatewayRef = strconv.FormatInt(id, 10)
	}
	return res, nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}
