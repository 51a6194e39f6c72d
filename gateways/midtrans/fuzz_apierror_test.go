package midtrans

import "testing"

// FuzzParseAPIError feeds arbitrary error bodies to parseAPIError.
func FuzzParseAPIError(f *testing.F) {
	addFiles(f, "iris")
	f.Add([]byte(`{"status_code":"401","status_message":"Unauthorized"}`))
	f.Add([]byte(`{"error_message":"x","errors":["a",1,null]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseAPIError(b)
	})
}
