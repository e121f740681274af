package emulator

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSelectAllPattern(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{"SELECT * FROM c", true},
		{"  select * from root r ", true},
		{"SELECT * FROM c AS doc", true},
		{"SELECT * FROM c WHERE c.a = 1", false},
		{"SELECT * FROM c JOIN t IN c.tags", false},
		{"SELECT TOP 1 * FROM c", false},
		{"SELECT c.id FROM c", false},
		{"SELECT * FROM c ORDER BY c.id", false},
		{"SELECT * FROM c.children", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, selectAllPattern.MatchString(tt.query), tt.query)
	}
}

func TestQuery_PartitionKeyScopes(t *testing.T) {
	c := newRawClient(t, Config{})
	c.setup(`{"id":"c","partitionKey":{"paths":["/t","/u"],"kind":"MultiHash","version":2}}`)
	for i, tu := range [][2]string{{"a", "1"}, {"a", "2"}, {"b", "1"}} {
		body := `{"id":"` + string(rune('x'+i)) + `","t":"` + tu[0] + `","u":"` + tu[1] + `"}`
		c.mustDo(201, "POST", "/dbs/d/colls/c/docs", body,
			hdrPartitionKey, `["`+tu[0]+`","`+tu[1]+`"]`)
	}
	tests := []struct {
		name, pk string
		want     int
	}{
		{"full key", `["a","1"]`, 1},
		{"prefix", `["a"]`, 2},
		{"cross partition", "", 3},
	}
	for _, tt := range tests {
		hdrs := []string{"x-ms-documentdb-query", "True", "Content-Type", "application/query+json",
			hdrCrossPartition, "true"}
		if tt.pk != "" {
			hdrs = append(hdrs, hdrPartitionKey, tt.pk)
		}
		body := c.mustDo(200, "POST", "/dbs/d/colls/c/docs", `{"query":"SELECT * FROM c"}`, hdrs...)
		require.Contains(t, body, `"_count":`+string(rune('0'+tt.want)), tt.name)
	}
}

// splitForTest gives container d/c two physical partitions, split at EPK "20", before it
// holds documents.
func splitForTest(t *testing.T, s *Server) *container {
	t.Helper()
	c := s.mustContainer(t)
	parts := []*partition{newPartition(c, "1", "", "20"), newPartition(c, "2", "20", "FF")}
	c.parts.Store(&parts)
	c.rangesVersion.Add(1)
	return c
}

func TestQuery_SeveralPhysicalPartitions(t *testing.T) {
	rc := newRawClient(t, Config{})
	rc.setup("")
	c := splitForTest(t, rc.s)
	for i := range 40 {
		id := strconv.Itoa(i)
		rc.mustDo(201, "POST", "/dbs/d/colls/c/docs", `{"id":"`+id+`","pk":"k`+id+`","n":`+id+`}`,
			hdrPartitionKey, `["k`+id+`"]`)
	}
	for _, p := range c.partitions() {
		require.NotEmpty(t, p.items, "keys hash to both ranges")
	}
	query := []string{"x-ms-documentdb-query", "True", "Content-Type", "application/query+json",
		hdrCrossPartition, "true"}

	res := rc.do("POST", "/dbs/d/colls/c/docs", `{"query":"SELECT * FROM c ORDER BY c.n"}`, query...)
	require.Equal(t, 400, res.StatusCode)
	require.Equal(t, "1004", res.Header.Get(hdrSubstatus))
	withKey := append(append([]string{}, query...), hdrPartitionKey, `["k3"]`)
	rc.mustDo(200, "POST", "/dbs/d/colls/c/docs", `{"query":"SELECT * FROM c ORDER BY c.n"}`, withKey...)

	// Streamable paging crosses both ranges, every document once.
	seen := map[string]int{}
	token := ""
	for range 100 {
		hdrs := append(append([]string{}, query...), hdrMaxItemCount, "7")
		if token != "" {
			hdrs = append(hdrs, hdrContinuation, token)
		}
		res := rc.do("POST", "/dbs/d/colls/c/docs", `{"query":"SELECT c.id FROM c"}`, hdrs...)
		require.Equal(t, 200, res.StatusCode)
		var body struct{ Documents []struct{ ID string } }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
		for _, d := range body.Documents {
			seen[d.ID]++
		}
		if token = res.Header.Get(hdrContinuation); token == "" {
			break
		}
	}
	require.Len(t, seen, 40)
	for id, n := range seen {
		require.Equal(t, 1, n, "document %s", id)
	}
}

// TestQuery_ContinuationSurvivesSplit pages a query while its range splits in two: the
// children are read together by creation sequence, so nothing is skipped or repeated.
func TestQuery_ContinuationSurvivesSplit(t *testing.T) {
	rc := newRawClient(t, Config{})
	rc.setup("")
	for i := range 50 {
		id := strconv.Itoa(i)
		rc.mustDo(201, "POST", "/dbs/d/colls/c/docs", `{"id":"`+id+`","pk":"k`+id+`"}`,
			hdrPartitionKey, `["k`+id+`"]`)
	}
	c := rc.s.mustContainer(t)
	query := []string{"x-ms-documentdb-query", "True", "Content-Type", "application/query+json",
		hdrMaxItemCount, "6", hdrCrossPartition, "true"}
	seen := map[string]int{}
	token := ""
	for page := 0; page < 100; page++ {
		if page == 2 {
			_, err := c.splitPartition(c.partitions()[0])
			require.NoError(t, err)
			require.Len(t, c.partitions(), 2)
		}
		hdrs := append([]string{}, query...)
		if token != "" {
			hdrs = append(hdrs, hdrContinuation, token)
		}
		res := rc.do("POST", "/dbs/d/colls/c/docs", `{"query":"SELECT c.id FROM c"}`, hdrs...)
		require.Equal(t, 200, res.StatusCode)
		var body struct{ Documents []struct{ ID string } }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
		for _, d := range body.Documents {
			seen[d.ID]++
		}
		if token = res.Header.Get(hdrContinuation); token == "" {
			break
		}
	}
	require.Len(t, seen, 50)
	for id, n := range seen {
		require.Equal(t, 1, n, "document %s", id)
	}
}

func TestQuery_CrossPartitionNeedsTheHeader(t *testing.T) {
	rc := newRawClient(t, Config{})
	rc.setup("")
	query := []string{"x-ms-documentdb-query", "True", "Content-Type", "application/query+json"}
	body := rc.mustDo(400, "POST", "/dbs/d/colls/c/docs", `{"query":"SELECT * FROM c"}`, query...)
	require.Contains(t, body, "Cross partition query is required but disabled")
	rc.mustDo(200, "POST", "/dbs/d/colls/c/docs", `{"query":"SELECT * FROM c"}`,
		append(query, hdrPartitionKey, `["a"]`)...)
}

// TestQuery_HierarchicalPrefixAfterSplits checks that a prefix query reads only the ranges
// its keys hash into, and still finds every matching document.
func TestQuery_HierarchicalPrefixAfterSplits(t *testing.T) {
	rc := newRawClient(t, Config{})
	rc.setup(`{"id":"c","partitionKey":{"paths":["/t","/u"],"kind":"MultiHash","version":2}}`)
	for i := range 60 {
		id, tenant, user := strconv.Itoa(i), "t"+strconv.Itoa(i%3), "u"+strconv.Itoa(i)
		rc.mustDo(201, "POST", "/dbs/d/colls/c/docs",
			`{"id":"`+id+`","t":"`+tenant+`","u":"`+user+`"}`,
			hdrPartitionKey, `["`+tenant+`","`+user+`"]`)
	}
	c := rc.s.mustContainer(t)
	for len(c.partitions()) < 4 {
		_, err := c.splitPartition(c.partitions()[len(c.partitions())-1])
		require.NoError(t, err)
	}
	narrowed := false
	for tenant := range 3 {
		prefix := partitionKey{parts: []any{"t" + strconv.Itoa(tenant)}}
		if len(c.partitionsForPrefix(prefix)) < len(c.partitions()) {
			narrowed = true
		}
		body := rc.mustDo(200, "POST", "/dbs/d/colls/c/docs", `{"query":"SELECT c.id FROM c"}`,
			"x-ms-documentdb-query", "True", "Content-Type", "application/query+json",
			hdrPartitionKey, `["t`+strconv.Itoa(tenant)+`"]`)
		require.Contains(t, body, `"_count":20`, "tenant %d", tenant)
	}
	require.True(t, narrowed, "a prefix reads fewer ranges than the whole container")
}
