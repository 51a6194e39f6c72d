package security

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzVaultHeader feeds a possibly tampered vault header (slot JSON with
// Argon2 parameters) to the parser and an unlock: an error or a key, never
// a panic, and never Argon2 parameters beyond sane bounds (a tampered file
// must not make an unlock allocate gigabytes).
func FuzzVaultHeader(f *testing.F) {
	v := NewVault(VaultOptions{Params: testParams})
	good := &header{Version: 1, ID: "ab", Check: "00", Slots: map[string]*slot{"1": v.wrap(ownerPW, make([]byte, 32), "1")}}
	b, _ := json.Marshal(good)
	f.Add(b)
	f.Add([]byte(`{"v":1,"slots":{"1":{"salt":"AAAAAAAAAAA=","params":{"t":4294967295,"m":4294967295,"p":255},"wrapped":"AA=="}}}`))
	f.Add([]byte(`{"slots":{"1":null}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 8<<10 {
			return
		}
		h, err := parseHeader(raw)
		if err != nil {
			return
		}
		if s := h.Slots["1"]; s != nil && s.Params.sane() && s.Params.MemoryKiB > 1024 {
			return // a real-cost unlock: skipped for speed; bounds are what this target checks
		}
		_ = v.unlockWith(t.Context(), h, 1, ownerPW)
	})
}

// FuzzCheckPassword feeds a possibly tampered PHC string to the parser
// and CheckPassword: an error or an answer, never a panic, and never Argon2
// parameters beyond sane bounds. A sane but costly hash (a mutated m= of
// 145 MiB took 4 s and made the fuzz worker "hang") is parsed and checked
// for bounds but not hashed: its cost is Argon2's, not the parser's.
func FuzzCheckPassword(f *testing.F) {
	f.Add(HashPassword("batik-sari-2026!", testParams))
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("$argon2id$v=19$m=256,t=1,p=1$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, phc string) {
		if len(phc) > 4<<10 {
			return
		}
		p, _, _, err := parsePHC(phc)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("parse error %v is not ErrBadHash", err)
			}
			return
		}
		if !p.sane() {
			t.Fatalf("accepted parameters beyond the bounds: %+v", p)
		}
		if uint64(p.MemoryKiB)*uint64(p.Time) > 4<<10 {
			return // a real-cost hash: bounds are what this target checks
		}
		if _, err := CheckPassword("batik-sari-2026!", phc); err != nil {
			t.Fatalf("parsed but not checked: %v", err)
		}
	})
}
