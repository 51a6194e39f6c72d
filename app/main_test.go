package app

import (
	"os"
	"testing"

	"lunas/domain/postgres/pgtest"
)

// TestMain stops the PostgreSQL test cluster pgtest may have started.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
