package emulator

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// notingRecorder records the commit positions the server notes on its response writer.
type notingRecorder struct {
	*httptest.ResponseRecorder
	notes []uint64
}

func (n *notingRecorder) noteCommit(pos uint64) { n.notes = append(n.notes, pos) }

// doNoting is rawClient.do with a writer that records noteCommit calls.
func (c *rawClient) doNoting(method, path, body string, headers ...string) (int, []uint64) {
	c.t.Helper()
	w := &notingRecorder{ResponseRecorder: httptest.NewRecorder()}
	c.s.ServeHTTP(w, c.request(method, path, body, headers...))
	return w.Code, w.notes
}

// A write's answer must wait for the log position of its own commit, not for whatever was
// logged by the time it is written (an extra group-commit round under load), so the server
// tells the writer that position: the hook's answer for the request's last commit.
func TestCommitPosition_NotedPerWrite(t *testing.T) {
	c := newRawClient(t, Config{})
	c.setup("")
	var next uint64 = 100
	hook := func(logRecord) uint64 { next++; return next }
	hookStore(c.s.store, hook)
	pk := []string{hdrPartitionKey, `["a"]`}

	tests := []struct {
		name, method, path, body string
		headers                  []string
		wantStatus               int
		want                     []uint64
	}{
		{"create", "POST", "/dbs/d/colls/c/docs", `{"id":"1","pk":"a"}`, pk, 201, []uint64{101}},
		{"replace", "PUT", "/dbs/d/colls/c/docs/1", `{"id":"1","pk":"a","v":2}`, pk, 200,
			[]uint64{102}},
		{"read notes nothing", "GET", "/dbs/d/colls/c/docs/1", "", pk, 200, nil},
		{"failed create notes nothing to wait for", "POST", "/dbs/d/colls/c/docs",
			`{"id":"1","pk":"a"}`, pk, 409, []uint64{0}},
		{"batch notes its last write", "POST", "/dbs/d/colls/c/docs",
			`[{"operationType":"Create","id":"2","resourceBody":{"id":"2","pk":"a"}},` +
				`{"operationType":"Read","id":"1"},` +
				`{"operationType":"Upsert","id":"3","resourceBody":{"id":"3","pk":"a"}}]`,
			append([]string{hdrIsBatch, "True"}, pk...), 200, []uint64{104}},
		{"failed batch notes nothing to wait for", "POST", "/dbs/d/colls/c/docs",
			`[{"operationType":"Create","id":"4","resourceBody":{"id":"4","pk":"a"}},` +
				`{"operationType":"Create","id":"1","resourceBody":{"id":"1","pk":"a"}}]`,
			append([]string{hdrIsBatch, "True"}, pk...), 207, []uint64{0}},
	}
	for _, tt := range tests {
		status, notes := c.doNoting(tt.method, tt.path, tt.body, tt.headers...)
		require.Equal(t, tt.wantStatus, status, tt.name)
		require.Equal(t, tt.want, notes, tt.name)
	}
}
