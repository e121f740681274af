package query

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKnownGapsFailWithTheirName pins the "Known gaps" table of doc.go: each is refused
// with a message naming it.
func TestKnownGapsFailWithTheirName(t *testing.T) {
	t.Parallel()
	tests := []struct{ query, msg string }{
		{"SELECT VALUE udf.f(c.x) FROM c", "user-defined functions"},
		{"SELECT * FROM c WHERE ST_WITHIN(c.p, {})", "ST_WITHIN is not supported by this emulator"},
		{"SELECT VALUE VectorDistance(c.v, [1]) FROM c", "VECTORDISTANCE is not supported by this emulator"},
		{"SELECT VALUE DocumentId(c) FROM c", "DOCUMENTID is not supported by this emulator"},
		{"SELECT VALUE RAND() FROM c", "RAND is not supported by this emulator"},
		{"SELECT * FROM c WHERE FullTextContains(c.t, 'x')", "FULLTEXTCONTAINS is not supported"},
		{"SELECT * FROM c ORDER BY RANK RRF(1)", "ORDER BY RANK"},
		{"SELECT VALUE FIRST(SELECT VALUE 1) FROM c", "FIRST(SELECT ...) subqueries are not supported"},
		{"SELECT * FROM c WHERE c.id IN (SELECT VALUE 1)", "IN (SELECT ...) is not supported"},
		{"SELECT VALUE REGEXMATCH(c.s, 'a b', 'x') FROM c", "REGEXMATCH modifier 'x' is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			err := parseAndBind(tt.query)
			require.ErrorContains(t, err, tt.msg)
		})
	}
}

// TestKnownDifferences pins the documented differences that do not fail.
func TestKnownDifferences(t *testing.T) {
	t.Parallel()
	docs := []any{map[string]any{"id": "1", "value": 3.0, "big": 9007199254740993.0, "zeta": 1.0,
		"kids": []any{"a", "b"}}}
	runCases(t, docs, []queryCase{
		{name: "projections marshal in name order, not select-list order",
			query: "SELECT c.zeta, c.id FROM c", want: `[{"id":"1","zeta":1}]`},
		{name: "integers beyond 2^53 are rounded to float64",
			query: "SELECT VALUE c.big FROM c", want: `[9007199254740992]`},
		{name: "keywords are accepted as property names after a dot",
			query: "SELECT VALUE c.value FROM c", want: `[3]`},
		{name: "a scalar subquery with several rows yields the first",
			query: "SELECT VALUE (SELECT VALUE k FROM k IN c.kids) FROM c", want: `["a"]`},
	})
	row := runQuery(t, "SELECT c.zeta, c.id FROM c", nil, docs)
	var back []map[string]any
	require.NoError(t, json.Unmarshal([]byte(row), &back))
	require.Equal(t, []map[string]any{{"id": "1", "zeta": 1.0}}, back)
}

// TestDocListsEveryFunction keeps the Functions section of doc.go and the registry in
// step: every name documented is implemented and every implemented name is documented.
func TestDocListsEveryFunction(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	text := string(raw)
	section := text[strings.Index(text, "# Functions"):strings.Index(text, "# Known gaps")]
	documented := map[string]bool{}
	for _, w := range regexp.MustCompile(`\b[A-Z][A-Z0-9_]+\b`).FindAllString(section, -1) {
		switch w {
		case "ISO", "UTC", "STATIC", "T07":
			continue
		}
		documented[w] = true
	}
	implemented := map[string]bool{}
	for _, name := range SupportedFunctions() {
		base := strings.TrimSuffix(name, "STATIC")
		require.True(t, documented[base], "%s is implemented but not documented", name)
		implemented[base] = true
	}
	for name := range documented {
		require.True(t, implemented[name], "%s is documented but not implemented", name)
	}
}
