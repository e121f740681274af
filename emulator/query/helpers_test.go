package query

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// loadPeople returns the four-document fixture in testdata/people.json.
func loadPeople(t testing.TB) []any {
	t.Helper()
	raw, err := os.ReadFile("testdata/people.json")
	require.NoError(t, err)
	var docs []any
	require.NoError(t, json.Unmarshal(raw, &docs))
	return docs
}

// runQuery parses, binds and executes text over docs and returns the rows as JSON.
func runQuery(t testing.TB, text string, params []Param, docs []any) string {
	t.Helper()
	q, err := Parse(text)
	require.NoError(t, err, "parse %q", text)
	b, err := q.Bind(params)
	require.NoError(t, err, "bind %q", text)
	rows, err := b.Execute(slices.Values(docs))
	require.NoError(t, err, "execute %q", text)
	out, err := json.Marshal(rows)
	require.NoError(t, err)
	return string(out)
}

// queryCase is one query with its expected rows, written by hand as JSON.
type queryCase struct {
	name   string
	query  string
	params []Param
	want   string
}

func runCases(t *testing.T, docs []any, cases []queryCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := runQuery(t, tt.query, tt.params, docs)
			require.JSONEq(t, tt.want, got, "query %s: got %s, want %s", tt.query, got, tt.want)
		})
	}
}
