package emulator

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStampedInPlace checks that a point write's body with spare capacity is stamped in
// place (no copy), with the same bytes a copy gets, and that stamping the same document
// again (its closing brace is gone) still gives a complete body without touching the
// first.
func TestStampedInPlace(t *testing.T) {
	srv := startBenchEmulator(t)
	c, err := srv.store.container("db", "c")
	require.NoError(t, err)
	parse := func(spare bool) *document {
		raw := `{"id":"a","pk":"p","n":1}`
		body := append(make([]byte, 0, len(raw)+stampReserve), raw...)
		d, err := parseDocument(body, &c.pk)
		require.NoError(t, err)
		d.spare = spare
		return d
	}
	etag := etagFor(7)
	copied := parse(false).stamped(c, 3, etag, 1_700_000_000)
	d := parse(true)
	first := d.stamped(c, 3, etag, 1_700_000_000)
	require.Equal(t, string(copied), string(first))
	require.Same(t, &d.raw[0], &first[0], "stamped in place")
	require.LessOrEqual(t, len(first), cap(first))
	firstText := string(first)

	second := d.stamped(c, 4, etagFor(8), 1_700_000_001)
	require.Equal(t, firstText, string(first), "the first body is left alone")
	var v map[string]any
	require.NoError(t, json.Unmarshal(second, &v), "%s", second)
	require.Equal(t, "a", v["id"])
	require.InDelta(t, 1_700_000_001, v["_ts"], 0)
	require.Equal(t, etagFor(8), v["_etag"])
}
