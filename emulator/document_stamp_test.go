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
	copied := parse(false).stamped(c, 3, 7, 1_700_000_000)
	d := parse(true)
	first := d.stamped(c, 3, 7, 1_700_000_000)
	require.Equal(t, string(copied), string(first))
	require.Same(t, &d.raw[0], &first[0], "stamped in place")
	require.LessOrEqual(t, len(first), cap(first))
	firstText := string(first)
	var props struct {
		RID  string `json:"_rid"`
		Self string `json:"_self"`
		ETag string `json:"_etag"`
		TS   int64  `json:"_ts"`
	}
	require.NoError(t, json.Unmarshal(first, &props))
	require.Equal(t, documentRID(c.ridBytes, 3), props.RID)
	require.Equal(t, c.self()+"docs/"+props.RID+"/", props.Self)
	require.Equal(t, etagFor(7), props.ETag)
	require.Equal(t, int64(1_700_000_000), props.TS)

	second := d.stamped(c, 4, 8, 1_700_000_001)
	require.Equal(t, firstText, string(first), "the first body is left alone")
	var v map[string]any
	require.NoError(t, json.Unmarshal(second, &v), "%s", second)
	require.Equal(t, "a", v["id"])
	require.InDelta(t, 1_700_000_001, v["_ts"], 0)
	require.Equal(t, etagFor(8), v["_etag"])
}

// TestETagFor pins the etag shape: a GUID-like string ending in at least 12 hex digits of
// the LSN, quoted.
func TestETagFor(t *testing.T) {
	for _, tt := range []struct {
		lsn  int64
		want string
	}{
		{0, `"00000000-0000-0000-0000-000000000000"`},
		{255, `"00000000-0000-0000-0000-0000000000ff"`},
		{1 << 44, `"00000000-0000-0000-0000-100000000000"`},
		{1 << 48, `"00000000-0000-0000-0000-1000000000000"`},
	} {
		got := etagFor(tt.lsn)
		require.Equal(t, tt.want, got, "lsn %d", tt.lsn)
		require.Len(t, got, 2+etagBodyLen(tt.lsn))
	}
	require.Equal(t, "AAAAAIAAAAEAAAAAAAAAAw==", documentRID(containerRID(databaseRID(0), 1), 3))
}
