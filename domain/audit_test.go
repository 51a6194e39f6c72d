package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"
)

func TestAuditCanonicalAndHash(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 30, 0, 123456000, time.UTC)
	e := AuditEntry{Seq: 7, At: at, Actor: "sari", Action: "transfer.approve", Subject: "transfer:R1", Detail: "Rp1.000"}
	wantCanon := "1:7\n" + "27:2026-11-22T10:30:00.123456Z\n" + "4:sari\n" + "16:transfer.approve\n" + "11:transfer:R1\n" + "7:Rp1.000\n"
	if got := string(e.Canonical()); got != wantCanon {
		t.Fatalf("Canonical = %q, want %q", got, wantCanon)
	}
	sum := sha256.Sum256([]byte("prev\n" + wantCanon))
	if got, want := e.ComputeHash("prev"), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("ComputeHash = %s, want %s", got, want)
	}

	// The same instant in another zone hashes the same.
	wib := e
	wib.At = at.In(time.FixedZone("WIB", 7*3600))
	if e.ComputeHash("p") != wib.ComputeHash("p") {
		t.Error("hash depends on the time zone")
	}
}

func TestAuditHashSeesEveryField(t *testing.T) {
	base := AuditEntry{Seq: 1, At: time.Unix(1700000000, 0), Actor: "ab", Action: "c", Subject: "s", Detail: "d"}
	h := base.ComputeHash("x")
	variants := map[string]AuditEntry{}
	v := base
	v.Seq = 2
	variants["seq"] = v
	v = base
	v.At = v.At.Add(time.Microsecond)
	variants["at"] = v
	v = base
	v.Actor, v.Action = "a", "bc" // same bytes, different boundary
	variants["boundary"] = v
	v = base
	v.Subject = "t"
	variants["subject"] = v
	v = base
	v.Detail = "d\n"
	variants["detail"] = v
	for name, e := range variants {
		if e.ComputeHash("x") == h {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
	if base.ComputeHash("y") == h {
		t.Error("prev hash not part of the hash")
	}
}
