package emulator

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestChargeModel pins the calibration points documented in docs/emulator.md.
func TestChargeModel(t *testing.T) {
	all := &containerMeta{index: parseIndexing(defaultIndexingPolicy)}
	none := &containerMeta{index: parseIndexing([]byte(`{"indexingMode":"none"}`))}
	stamped := func(userBytes int) []byte {
		// A YCSB-like document: id, pk and ten fields, plus the five system properties.
		var b strings.Builder
		b.WriteString(`{"id":"1","pk":"a"`)
		for i := range 10 {
			b.WriteString(`,"f` + string(rune('0'+i)) + `":"` +
				strings.Repeat("x", (userBytes-30)/10-8) + `"`)
		}
		b.WriteString(`,"_rid":"r","_self":"s","_etag":"e","_attachments":"a","_ts":1}`)
		return []byte(b.String())
	}
	doc := stamped(1024)

	require.InDelta(t, 1.0, readCharge(1024), 0.001, "1 KB point read")
	require.InDelta(t, 1.3, readCharge(4096), 0.001, "4 KB point read")
	require.InDelta(t, 10.0, readCharge(64<<10), 0.001, "64 KB point read")
	require.InDelta(t, 1.0, readCharge(100), 0.001, "reads cost at least 1 RU")

	require.Equal(t, 12, all.indexedTerms(doc), "id, pk and ten fields")
	require.InDelta(t, 13.4, all.createCharge(doc), 0.5, "1 KB YCSB insert ≈ 13 RU")
	require.InDelta(t, 5.0, none.createCharge(doc), 0.1, "1 KB insert without indexing")
	require.InDelta(t, 1.25*all.createCharge(doc), all.replaceCharge(doc), 0.01)

	// One ~10 KB result, one document evaluated: the documented 3.19 RU.
	q := queryBaseRU + queryPerEvaluatedRU + queryResultCharge(10<<10)
	require.InDelta(t, 3.19, q, 0.05)
	// A thousand 1 KB results: on the order of 1000 RU.
	require.InDelta(t, 1000, 1000*queryResultCharge(1024), 1)
}

func TestCountScalars(t *testing.T) {
	tests := []struct {
		json string
		want int
	}{
		{`{}`, 0},
		{`{"a":1}`, 1},
		{`{"a":"x:y","b":[1,2,{"c":null}],"d":{"e":true,"f":"\"q\":"}}`, 6},
		{`{ "a" : -1.5e3 , "b" : false }`, 2},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, countScalars([]byte(tt.json)), tt.json)
	}
}

func TestReadFactor_FollowsConsistency(t *testing.T) {
	tests := []struct {
		account Consistency
		header  string
		want    float64
	}{
		{"", "", 1},
		{Session, "", 1},
		{Strong, "", 2},
		{BoundedStaleness, "", 2},
		{Strong, "Session", 1},
		{Strong, "Eventual", 1},
		{Session, "Strong", 1}, // a request cannot strengthen the account's level
		{Eventual, "", 1},
	}
	for _, tt := range tests {
		rc := newRawClient(t, Config{})
		rc.s.consistency = tt.account
		r := httptest.NewRequest("GET", "http://127.0.0.1/", nil)
		if tt.header != "" {
			r.Header.Set(hdrConsistencyLevel, tt.header)
		}
		rq := &request{s: rc.s, r: r}
		require.Equal(t, tt.want, rq.readFactor(), "account %q, header %q", tt.account, tt.header)
	}
}
