package doku

import (
	"os"
	"path/filepath"
	"testing"
)

// Signatures DOKU's own SDK repositories publish beside the key that made
// them (sources: testdata/vectors/README.md), reproduced byte for byte.
func TestPublishedSignatureVectors(t *testing.T) {
	t.Run("snap symmetric, a request captured from DOKU UAT (doku-nodejs-library)", func(t *testing.T) {
		body := []byte(`{"partnerServiceId":"   12362","customerNo":"80002","virtualAccountNo":"   1236280002","trxDateInit":"2024-08-13T10:38:59+07:00","channelCode":"1","language":"ID","inquiryRequestId":"DIPCVA003T240813103859314TvKmZ52mBnj","additionalInfo":{"channel":"VIRTUAL_ACCOUNT_BRI"}}`)
		token := "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MjM1MjEyMzksImlzc3VlciI6IlBUIE1QRSIsImNsaWVudElkIjoiQlJOLTAyMjEtMTY5MzIwOTU2NzM5MiIsImlhdCI6MTcyMzUyMDMzOX0.SQvZ-ImCX1srS0-M1zo33w-zBi4KuGVk6j1b392F_vDBEfIIWO_hRBnmRpgW9EoHbCiwjK6EiHhkclkoiERbZM8F_6R-VeEPO01CVaZ8BZb7N9Nq55m0D3S6POb3Z2rNkWNv0GUO4O3cpKsfUGnHB8MaRbdyzPNlDXIqvzE3AijdEAWsJdsrc0keQsdDodbjNg6_hyV2aptAxbRXmX5iA--DpqOmNtikP0ovP70Lg1XZVWifC2RrnI9Fv231pnSmvNJAhQISvu_L1CwEpg9s0RhCGNCwiHSeo_Zrq2NR0PNc3tWH9pBtdhmZTx1xWTf0AI8DpYRDKkfVGT8JCCBP8Q"
		min, err := Minify(body)
		if err != nil {
			t.Fatal(err)
		}
		if len(min) != 272 { // the capture's content-length
			t.Fatalf("minified body is %d bytes, the request carried 272", len(min))
		}
		got := SymmetricSignature("POST", "/v1.1/transfer-va/inquiry", token, min, "2024-08-13T10:38:59+07:00", "SK-tDzY6MSLBWlNXy3qCsUU")
		if want := "Rc2PigQTKPe5tb4cbkhcleCWUzHCZmdDuCt1wqJ3Eyso9S9wOjfOO/RMElRHUTiv8zw6bN+5BgOpsJXPriiJoQ=="; got != want {
			t.Fatalf("X-SIGNATURE %s, DOKU's %s", got, want)
		}
	})
	t.Run("snap access token, doku-php-library ExampleProgram", func(t *testing.T) {
		pem, err := os.ReadFile(filepath.Join("testdata", "vectors", "doku_php_example_privatekey3.pem"))
		if err != nil {
			t.Fatal(err)
		}
		key, err := ParsePrivateKey(string(pem))
		if err != nil {
			t.Fatal(err)
		}
		got, err := TokenSignature(key, "BRN-0248-1674717085445", "2024-06-06T11:44:15+07:00")
		want := "LtMvncYrtpqDR41PDQLGXaeznzf0/R1mkUZ6KfWslwEDyRTv/Vb2oQlEhrCxIbmLTPxyajTUF96kmDQ4m3ScCCZlDefcI3ovrm3sTBybk2ZfkwgLy9cIkNLVvoZu4jxkA/nYidCVA3BBglc0HqMd/SDE0YI0/tPMl6kOSBQVUz7RAc4oJQ2XQy91k6wzYVUW0S34AQXu+1hPc6f2Dam8kpHFPg8w7LyLTLEoZehRG6uMAi9dj9Y/oMw4i0xu2ZCfxtOPsWMqPHqszjGTk3jPL9wSihbwLYSxdbpYZ2BkbNjHcWbcdnI6ksUotYe+tLPfOTLfAMcjzeOqwBrMorOwpw=="
		if err != nil || got != want {
			t.Fatalf("X-SIGNATURE %s (%v), DOKU's SDK %s", got, err, want)
		}
	})
}
