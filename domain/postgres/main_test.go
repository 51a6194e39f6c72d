package postgres

import (
	"os"
	"testing"

	"lunas/domain/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
