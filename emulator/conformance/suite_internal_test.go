package conformance

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnknownCasesNamesOnlyStaleEntries(t *testing.T) {
	tests := []struct {
		name        string
		unsupported Unsupported
		want        []string
	}{
		{name: "nil table", unsupported: nil, want: nil},
		{name: "registered cases", unsupported: Unsupported{
			"Item/CRUD": "r", "Patch/Condition": "r",
		}, want: nil},
		{name: "stale names sorted", unsupported: Unsupported{
			"Item/CRUD": "r", "Patch/Gone": "r", "Batch/Renamed": "r",
		}, want: []string{"Batch/Renamed", "Patch/Gone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, unknownCases(tt.unsupported))
		})
	}
}
