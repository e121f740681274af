package emulator

import (
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
		hdrs := []string{"x-ms-documentdb-query", "True", "Content-Type", "application/query+json"}
		if tt.pk != "" {
			hdrs = append(hdrs, hdrPartitionKey, tt.pk)
		}
		body := c.mustDo(200, "POST", "/dbs/d/colls/c/docs", `{"query":"SELECT * FROM c"}`, hdrs...)
		require.Contains(t, body, `"_count":`+string(rune('0'+tt.want)), tt.name)
	}
}
