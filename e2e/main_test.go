package e2e

import (
	"testing"

	"users/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
