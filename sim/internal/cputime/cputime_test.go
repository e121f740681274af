package cputime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNowAdvancesWithWork(t *testing.T) {
	before := Now()
	x := 0
	for i := range 50_000_000 {
		x ^= i * i
	}
	require.NotZero(t, x)
	require.Greater(t, Now(), before)
}
