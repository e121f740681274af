package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeBatch checks that the decoder never panics, and that whatever it accepts and
// Validate passes survives an encode/decode round trip unchanged.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(AppendBatchJSON(nil, sampleBatch()))
	f.Add([]byte(`{"tenant":"t","sensor":"s","seq":1,"id":"s:1","events":[{"kind":"ntlm",` +
		`"time":"2026-01-01T00:00:00.5+02:00","src_host":"h\u00e9\ud800"}]}`))
	f.Add([]byte(`{"events":[{"src":null,"dst":{"type":"service","x":[[{}]]}}]}`))
	f.Add([]byte(`{"a":"\"\\\/\b\f\n\r\t"}`))
	var d Decoder
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Batch
		if err := d.DecodeBatch(data, &b); err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		if b.Validate() != nil {
			return
		}
		again, err := DecodeBatch(AppendBatchJSON(nil, &b))
		require.NoError(t, err)
		for i := range b.Events {
			// The wire carries milliseconds in UTC.
			b.Events[i].Time = b.Events[i].Time.UTC().Truncate(1e6)
		}
		require.Equal(t, &b, again)
	})
}
