package domain

import "testing"

// TestMaskAccount: the last four characters show only when at least four
// more stay hidden; short numbers show fewer, four or fewer show none.
func TestMaskAccount(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1234567890", "••••7890"},
		{"12345678", "••••5678"},
		{"1234567", "••••567"},
		{"12345", "••••5"},
		{"1234", "••••"},
		{"12", "••••"},
		{"", "••••"},
		{"١٢٣٤٥٦٧٨٩", "••••٦٧٨٩"}, // counted in characters, not bytes
	} {
		if got := MaskAccount(c.in); got != c.want {
			t.Errorf("MaskAccount(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
