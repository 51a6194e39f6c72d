package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestMidtransControlAPI drives a Snap order through the control API over
// HTTP, as `lunas demo` and other processes do, and checks the signed status.
func TestMidtransControlAPI(t *testing.T) {
	srv := New(Config{Step: time.Minute})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c := srv.Credentials()
	do := func(method, path, body, user string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		if user != "" {
			req.SetBasicAuth(user, "")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	if code, _ := do("POST", "/snap/v1/transactions", `{"transaction_details":{"order_id":"ORD-C","gross_amount":1000}}`, "wrong"); code != 401 {
		t.Fatalf("wrong key: %d", code)
	}
	if code, m := do("POST", "/snap/v1/transactions", `{"transaction_details":{"order_id":"ORD C","gross_amount":1000}}`, c.MidtransServerKey); code != 400 || m["error_messages"] == nil {
		t.Fatalf("unsafe order id: %d %v", code, m)
	}
	if code, m := do("POST", "/snap/v1/transactions", `{"transaction_details":{"order_id":"ORD-C","gross_amount":1000}}`, c.MidtransServerKey); code != 201 || m["token"] == "" {
		t.Fatalf("create: %d %v", code, m)
	}
	if code, _ := do("POST", "/snap/v1/transactions", `{"transaction_details":{"order_id":"ORD-C","gross_amount":1000}}`, c.MidtransServerKey); code != 400 {
		t.Fatalf("duplicate order_id: %d", code)
	}
	if _, m := do("GET", MidtransCorePath+"/v2/ORD-C/status", "", c.MidtransServerKey); m["status_code"] != "404" {
		t.Fatalf("before a method is chosen: %v", m)
	}
	for _, step := range []string{"/choose", "/pay"} {
		if code, _ := do("POST", "/_control/midtrans/orders/ORD-C"+step, "", ""); code != 200 {
			t.Fatalf("control %s: %d", step, code)
		}
	}
	_, m := do("GET", MidtransCorePath+"/v2/ORD-C/status", "", c.MidtransServerKey)
	sig := midtransSignature("ORD-C", "200", "1000.00", c.MidtransServerKey)
	if m["transaction_status"] != "settlement" || m["gross_amount"] != "1000.00" || m["signature_key"] != sig {
		t.Fatalf("settled status: %v", m)
	}
	if code, _ := do("POST", "/_control/midtrans/orders/ORD-C/pay", "", ""); code != 409 {
		t.Fatalf("paying twice: %d", code)
	}
	if code, _ := do("POST", "/_control/midtrans/orders/NOPE/pay", "", ""); code != 404 {
		t.Fatalf("paying a missing order: %d", code)
	}
	do("POST", "/_control/midtrans/orders/ORD-C/tamper", "", "")
	if _, m := do("GET", MidtransCorePath+"/v2/ORD-C/status", "", c.MidtransServerKey); m["signature_key"] == sig {
		t.Fatal("tamper did not change the signature")
	}
}
