package h2h

import "testing"

func TestSignReferenceVector(t *testing.T) {
	// gateways.md section 9: "OtomaX|YUSUF|X10|08123456789|2140669|1144|abcd".
	got := Sign("YUSUF", "X10", "08123456789", "2140669", "1144", "abcd")
	if want := "Cp9NLVuKWBt5Sey_uMlYsvnKvJI"; got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestSignChangesWithEveryField(t *testing.T) {
	base := []string{"YUSUF", "X10", "08123456789", "2140669", "1144", "abcd"}
	ref := Sign(base[0], base[1], base[2], base[3], base[4], base[5])
	for i := range base {
		f := append([]string(nil), base...)
		f[i] += "x"
		if got := Sign(f[0], f[1], f[2], f[3], f[4], f[5]); got == ref {
			t.Errorf("changing field %d did not change the signature", i)
		}
	}
}
