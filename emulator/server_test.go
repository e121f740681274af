package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAuthorize_RejectsBadSignatures(t *testing.T) {
	c := newRawClient(t, Config{})
	now := time.Now().UTC()
	tests := []struct {
		name string
		auth string
		date string
	}{
		{"missing header", "", now.Format(http.TimeFormat)},
		{"wrong signature", c.sign("GET", "/dbs/x", now.Format(http.TimeFormat)) + "AA",
			now.Format(http.TimeFormat)},
		{"signed for another path", c.sign("GET", "/dbs/y", now.Format(http.TimeFormat)),
			now.Format(http.TimeFormat)},
		{"stale date", c.sign("GET", "/dbs/x", now.Add(-time.Hour).Format(http.TimeFormat)),
			now.Add(-time.Hour).Format(http.TimeFormat)},
		{"unparsable date", c.sign("GET", "/dbs/x", "yesterday"), "yesterday"},
		{"unknown type", "type%3Dresource%26ver%3D1.0%26sig%3Dabc", now.Format(http.TimeFormat)},
		{"aad not a jwt", "type%3Daad%26ver%3D1.0%26sig%3Dnot-a-token", now.Format(http.TimeFormat)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "http://127.0.0.1/dbs/x", nil)
			req.Header.Set("x-ms-date", tt.date)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			w := httptest.NewRecorder()
			c.s.ServeHTTP(w, req)
			require.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
			var body struct{ Code, Message string }
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			require.Equal(t, "Unauthorized", body.Code)
			require.NotEmpty(t, body.Message)
		})
	}
}

func TestAuthorize_AcceptsAADTokens(t *testing.T) {
	c := newRawClient(t, Config{})
	enc := func(s string) string { return base64URL(s) }
	valid := enc(`{"alg":"RS256"}`) + "." + enc(`{"exp":4102444800}`) + ".sig"
	expired := enc(`{"alg":"RS256"}`) + "." + enc(`{"exp":1000}`) + ".sig"
	for token, want := range map[string]int{valid: 201, expired: 401} {
		req := httptest.NewRequest("POST", "http://127.0.0.1/dbs",
			stringsReader(`{"id":"aad`+strconv.Itoa(want)+`"}`))
		req.Header.Set("Authorization", "type=aad&ver=1.0&sig="+token)
		w := httptest.NewRecorder()
		c.s.ServeHTTP(w, req)
		require.Equal(t, want, w.Code, w.Body.String())
	}
}

func TestRouting_UnknownAndUnsupported(t *testing.T) {
	c := newRawClient(t, Config{})
	c.setup("")
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/nope", http.StatusNotFound},
		{"GET", "/dbs/d/users", http.StatusNotFound},
		{"GET", "/dbs/d/colls/c/docs/a/b", http.StatusNotFound},
		{"PUT", "/dbs/d", http.StatusMethodNotAllowed},
		{"PATCH", "/dbs/d/colls/c", http.StatusMethodNotAllowed},
		{"GET", "/dbs/missing", http.StatusNotFound},
		{"GET", "/dbs/d/colls/missing", http.StatusNotFound},
	}
	for _, tt := range tests {
		res := c.do(tt.method, tt.path, "")
		require.Equal(t, tt.want, res.StatusCode, "%s %s", tt.method, tt.path)
		require.NotEmpty(t, res.Header.Get(hdrRequestCharge))
		require.NotEmpty(t, res.Header.Get(hdrActivityID))
	}
}

func TestContainers_BadDefinitions(t *testing.T) {
	c := newRawClient(t, Config{})
	c.setup("")
	for _, body := range []string{
		`{"id":"x"}`,
		`{"id":"x","partitionKey":{"paths":["pk"]}}`,
		`{"id":"x","partitionKey":{"paths":["/a","/b","/c","/d"]}}`,
		`{"id":"x","partitionKey":{"paths":["/pk"],"kind":"Range"}}`,
		`{"id":"x","partitionKey":{"paths":["/pk"]},"defaultTtl":0}`,
		`{"id":"a/b","partitionKey":{"paths":["/pk"]}}`,
		`{"id":`,
	} {
		c.mustDo(http.StatusBadRequest, "POST", "/dbs/d/colls", body)
	}
	c.mustDo(http.StatusBadRequest, "POST", "/dbs/d/colls",
		`{"id":"x","partitionKey":{"paths":["/pk"]}}`, hdrOfferThroughput, "lots")
}

func TestContainers_RecordOffer(t *testing.T) {
	c := newRawClient(t, Config{})
	c.setup("")
	c.mustDo(201, "POST", "/dbs/d/colls", `{"id":"m","partitionKey":{"paths":["/pk"]}}`,
		hdrOfferThroughput, "400")
	c.mustDo(201, "POST", "/dbs/d/colls", `{"id":"a","partitionKey":{"paths":["/pk"]}}`,
		hdrOfferAutopilot, `{"maxThroughput":4000}`)
	m, err := c.s.store.container("d", "m")
	require.NoError(t, err)
	require.Equal(t, 400, m.offer.Throughput)
	a, err := c.s.store.container("d", "a")
	require.NoError(t, err)
	require.Equal(t, `{"maxThroughput":4000}`, a.offer.Autopilot)
}

func TestTTL_ExpiresWithTheClock(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := newRawClient(t, Config{Clock: clock.now})
	c.setup(`{"id":"c","partitionKey":{"paths":["/pk"]},"defaultTtl":10}`)
	pk := []string{hdrPartitionKey, `["a"]`}
	c.mustDo(201, "POST", "/dbs/d/colls/c/docs", `{"id":"default","pk":"a"}`, pk...)
	c.mustDo(201, "POST", "/dbs/d/colls/c/docs", `{"id":"never","pk":"a","ttl":-1}`, pk...)
	c.mustDo(201, "POST", "/dbs/d/colls/c/docs", `{"id":"long","pk":"a","ttl":100}`, pk...)

	clock.t = clock.t.Add(10 * time.Second)
	c.mustDo(404, "GET", "/dbs/d/colls/c/docs/default", "", pk...)
	c.mustDo(200, "GET", "/dbs/d/colls/c/docs/never", "", pk...)
	c.mustDo(200, "GET", "/dbs/d/colls/c/docs/long", "", pk...)
	// An expired document no longer blocks its id.
	c.mustDo(201, "POST", "/dbs/d/colls/c/docs", `{"id":"default","pk":"a"}`, pk...)

	clock.t = clock.t.Add(100 * time.Second)
	c.s.sweepOnce(clock.t.Unix())
	c.mustDo(404, "GET", "/dbs/d/colls/c/docs/long", "", pk...)
	p := c.s.mustContainer(t).partitions()[0]
	require.Len(t, p.items, 1, "the sweep reclaimed expired documents")
}

func (s *Server) mustContainer(t *testing.T) *container {
	c, err := s.store.container("d", "c")
	require.NoError(t, err)
	return c
}

// recordingThrottler refuses the first refuse requests and records what was consumed.
type recordingThrottler struct {
	mu       sync.Mutex
	refuse   int
	consumed map[PartitionRef]float64
}

func (r *recordingThrottler) Admit(p PartitionRef, now time.Time) (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refuse > 0 {
		r.refuse--
		return 250 * time.Millisecond, false
	}
	return 0, true
}

func (r *recordingThrottler) Consume(p PartitionRef, now time.Time, ru float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.consumed[p] += ru
}

func TestThrottler_AdmitsAndConsumesPerPartition(t *testing.T) {
	th := &recordingThrottler{refuse: 1, consumed: map[PartitionRef]float64{}}
	c := newRawClient(t, Config{Throttler: th})
	c.setup("")
	pk := []string{hdrPartitionKey, `["a"]`}
	res := c.do("POST", "/dbs/d/colls/c/docs", `{"id":"1","pk":"a"}`, pk...)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode)
	require.Equal(t, "3200", res.Header.Get(hdrSubstatus))
	require.Equal(t, "250", res.Header.Get(hdrRetryAfterMS))

	res = c.do("POST", "/dbs/d/colls/c/docs", `{"id":"1","pk":"a"}`, pk...)
	require.Equal(t, http.StatusCreated, res.StatusCode)
	charge, err := strconv.ParseFloat(res.Header.Get(hdrRequestCharge), 64)
	require.NoError(t, err)
	ref := c.s.mustContainer(t).partitions()[0].ref()
	require.Equal(t, PartitionRef{Database: "d", Container: "c",
		ContainerRID: ref.ContainerRID, RangeID: "0"}, ref)
	require.InDelta(t, charge, th.consumed[ref], 1e-9)
}

func TestCommit_ProducesOrderedLogRecords(t *testing.T) {
	c := newRawClient(t, Config{})
	c.setup("")
	p := c.s.mustContainer(t).partitions()[0]
	var recs []logRecord
	p.onCommit = func(r logRecord) uint64 { recs = append(recs, r); return 0 }
	pk := []string{hdrPartitionKey, `["a"]`}
	c.mustDo(201, "POST", "/dbs/d/colls/c/docs", `{"id":"1","pk":"a"}`, pk...)
	c.mustDo(200, "PUT", "/dbs/d/colls/c/docs/1", `{"id":"1","pk":"a","v":2}`, pk...)
	c.mustDo(204, "DELETE", "/dbs/d/colls/c/docs/1", "", pk...)
	require.Len(t, recs, 3)
	for i, want := range []opKind{opCreate, opReplace, opDelete} {
		require.Equal(t, want, recs[i].op)
		require.Equal(t, int64(i+1), recs[i].lsn)
		if want != opDelete {
			require.Equal(t, "1", recs[i].id)
			require.Contains(t, string(recs[i].body), `"id":"1"`)
		}
	}
}

func TestPKRanges_EndWith304(t *testing.T) {
	c := newRawClient(t, Config{})
	c.setup("")
	res := c.do("GET", "/dbs/d/colls/c/pkranges", "", hdrAIM, "Incremental Feed")
	require.Equal(t, 200, res.StatusCode)
	body, _ := io.ReadAll(res.Body)
	var feed struct {
		PartitionKeyRanges []pkRange
	}
	require.NoError(t, json.Unmarshal(body, &feed))
	require.Len(t, feed.PartitionKeyRanges, 1)
	require.Equal(t, "", feed.PartitionKeyRanges[0].MinInclusive)
	require.Equal(t, "FF", feed.PartitionKeyRanges[0].MaxExclusive)
	etag := res.Header.Get("etag")
	require.NotEmpty(t, etag)
	res = c.do("GET", "/dbs/d/colls/c/pkranges", "", hdrAIM, "Incremental Feed",
		hdrIfNoneMatch, etag)
	require.Equal(t, http.StatusNotModified, res.StatusCode)
}
