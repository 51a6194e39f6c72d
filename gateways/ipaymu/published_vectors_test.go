package ipaymu

import (
	"net/url"
	"testing"
)

// A callback signature iPaymu publishes in its own API collection: the
// "Callback Params (Success, Pending, and, Expired Transaction)" item of
// https://github.com/ipaymu/docs-ipaymu-api-v2 "iPaymu Public API
// v2.postman_collection.json" (commit 291c79c2a16e9717bf32ff8ba2f6bdecf9d328ab,
// lines 2166-2188; the same collection is published at
// documenter.gw.postman.com/api/collections/40296808/2sB3WtseBT): the
// urlencoded callback for trx 184854 with X-Signature c9594cc8...f024. The
// key is iPaymu's public sandbox VA 1179000899, from iPaymu's own samples
// (the collection does not name it). Reproduced byte for byte, which also
// settles the normalisation: keys sorted, numbers and booleans typed, and
// "/" written "\/" as PHP's json_encode does.
func TestPublishedCallbackSignature(t *testing.T) {
	v := url.Values{}
	for _, kv := range [][2]string{{"trx_id", "184854"}, {"sid", "f5aaa61d-7260-4c91-a718-5274a55cb4b8"}, {"reference_id", "ID1234"},
		{"status", "berhasil"}, {"status_code", "1"}, {"sub_total", "102000"}, {"total", "102000"}, {"amount", "102000"}, {"fee", "714"},
		{"paid_off", "101286"}, {"created_at", "2025-11-11 10:10:26"}, {"expired_at", "2025-11-12 10:10:25"}, {"paid_at", "2025-11-11 10:10:51"},
		{"settlement_status", "settled"}, {"transaction_status_code", "1"}, {"is_escrow", "false"}, {"system_notes", "Sandbox notify"},
		{"via", "qris"}, {"channel", "mpm"}, {"payment_no", ""}, {"buyer_name", "putu"}, {"buyer_email", "putu@mail.com"},
		{"buyer_phone", "08123456789"}, {"additional_info", "[]"}, {"url", "https://webhook.site/caef335b-f0bf-49d3-a532-35564f5241a2"}} {
		v.Add(kv[0], kv[1])
	}
	f, err := CallbackFields("application/x-www-form-urlencoded", []byte(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := CallbackSignature(f, "1179000899")
	if want := "c9594cc8c9f5811ecf22422eed1c8071f7837211f58956f616658a904d94f024"; err != nil || got != want {
		s, _ := CallbackString(f)
		t.Fatalf("X-Signature %s (%v), iPaymu's %s; signed %s", got, err, want, s)
	}
}
