package alertdoc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/detect"
)

func TestUpdateAndMigrate(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	a := detect.Alert{ID: "brute_force:user:bob", Kind: detect.BruteForce, Entity: "user:bob",
		Severity: "medium", FirstSeen: at, LastSeen: at, Evidence: []string{"evil"}}
	d := Update(nil, a, 2)
	require.Equal(t, 2, d.Severity)
	require.Equal(t, "open", d.Status)

	for v := MinVersion; v <= CurrentVersion; v++ {
		raw, err := Encode(d, v)
		require.NoError(t, err)
		got, from, err := Decode(raw)
		require.NoError(t, err)
		require.Equal(t, v, from)
		require.Equal(t, CurrentVersion, got.SchemaVersion)
		require.Equal(t, int64(2), got.Detections, "v%d", v)
		require.Equal(t, "medium", got.SeverityName, "v%d", v)
		got = Update(got, a, 1)
		require.Equal(t, int64(3), got.Detections)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`[`, "schemaVersion"},
		{`{"schemaVersion":1,"severity":"critical"}`, `severity "critical"`},
		{`{"schemaVersion":7}`, "schemaVersion 7"},
		{`{"schemaVersion":2,"detections":"x"}`, "decode alert v2"},
	}
	for _, tt := range tests {
		_, _, err := Decode([]byte(tt.raw))
		require.ErrorContains(t, err, tt.want, tt.raw)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":1,"severity":"high","count":3}`))
	f.Add([]byte(`{"schemaVersion":2,"severity":3,"detections":3}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, _, err := Decode(raw)
		if err != nil {
			return
		}
		_, err = Encode(d, CurrentVersion)
		require.NoError(t, err)
	})
}
