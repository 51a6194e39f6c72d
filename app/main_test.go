package app

import (
	"os"
	"testing"

	"lunas/domain/postgres/pgtest"
)

// TestMain stops the PostgreSQL test cluster pgtest may have started.
func TestMain(m *testing.M) {
	// A shop's vault slots and password hashes cost what testParams cost
	// (each stores its own cost, so the same code unlocks them); the real
	// costs are measured by security's benchmarks.
	shopVaultParams, shopPasswordParams = testParams, testParams
	os.Exit(pgtest.Main(m))
}
