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

// FuzzDecodeRecord checks that recording lines never panic the decoder, and that a valid
// line survives a round trip.
func FuzzDecodeRecord(f *testing.F) {
	b := sampleBatch()
	for i := range b.Events {
		f.Add(AppendRecordJSON(nil, b.Tenant, b.Sensor, &b.Events[i]))
	}
	f.Add([]byte(`{"tenant":null,"sensor":"s","kind":"dns_lookup","query":"x","src_host":"h",` +
		`"time":"2026-01-01T00:00:00Z"}`))
	var d Decoder
	f.Fuzz(func(t *testing.T, line []byte) {
		tenant, sensor, e, err := d.DecodeRecord(line)
		if err != nil || e.Validate() != nil {
			return
		}
		again := AppendRecordJSON(nil, tenant, sensor, &e)
		t2, s2, e2, err := d.DecodeRecord(again)
		require.NoError(t, err)
		e.Time = e.Time.UTC().Truncate(1e6)
		require.Equal(t, []any{tenant, sensor, e}, []any{t2, s2, e2})
	})
}
