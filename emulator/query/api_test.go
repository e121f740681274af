package query

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustBind(t testing.TB, text string, params ...Param) *Bound {
	t.Helper()
	q, err := Parse(text)
	require.NoError(t, err)
	b, err := q.Bind(params)
	require.NoError(t, err)
	return b
}

func TestStreamableAndTop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query      string
		streamable bool
		top        int // -1: no TOP
	}{
		{"SELECT * FROM c", true, -1},
		{"SELECT TOP 5 c.id FROM c JOIN t IN c.tags WHERE t = 'x'", true, 5},
		{"SELECT VALUE EXISTS(SELECT VALUE COUNT(1) FROM t IN c.tags) FROM c", true, -1},
		{"SELECT * FROM c ORDER BY c.id", false, -1},
		{"SELECT c.pk FROM c GROUP BY c.pk", false, -1},
		{"SELECT VALUE COUNT(1) FROM c", false, -1},
		{"SELECT DISTINCT c.pk FROM c", false, -1},
		{"SELECT * FROM c OFFSET 1 LIMIT 1", false, -1},
		{"SELECT 1", false, -1},
		{"SELECT VALUE x.id FROM (SELECT c.id FROM c WHERE c.x > 1) x", true, -1},
		{"SELECT VALUE x.id FROM (SELECT TOP 1 c.id FROM c ORDER BY c.id) x", false, -1},
		{"SELECT VALUE x.id FROM (SELECT TOP 1 c.id FROM c) x", false, -1},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			b := mustBind(t, tt.query)
			require.Equal(t, tt.streamable, b.Streamable())
			n, ok := b.Top()
			require.Equal(t, tt.top >= 0, ok)
			if ok {
				require.Equal(t, tt.top, n)
			}
		})
	}
	n, ok := mustBind(t, "SELECT TOP @n * FROM c", Param{Name: "@n", Value: 7}).Top()
	require.True(t, ok)
	require.Equal(t, 7, n)
}

func TestApplyMatchesExecuteForStreamableQueries(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	queries := []string{
		"SELECT * FROM c WHERE c.age > 26",
		"SELECT c.id, k.name FROM c JOIN k IN c.kids",
		"SELECT VALUE {id: c.id, tags: ARRAY(SELECT VALUE UPPER(t) FROM t IN c.tags)} FROM c",
		"SELECT VALUE x FROM (SELECT VALUE c.name FROM c WHERE c.pk = 'a') x",
	}
	for _, text := range queries {
		t.Run(text, func(t *testing.T) {
			b := mustBind(t, text)
			require.True(t, b.Streamable())
			var applied []any
			for _, d := range docs {
				rows, err := b.Apply(d)
				require.NoError(t, err)
				applied = append(applied, rows...)
			}
			executed, err := b.Execute(slices.Values(docs))
			require.NoError(t, err)
			require.Equal(t, executed, applied)
		})
	}
}

func TestApplyIgnoresCrossDocumentClausesAndRejectsAggregates(t *testing.T) {
	t.Parallel()
	doc := loadPeople(t)[0]
	rows, err := mustBind(t, "SELECT TOP 1 VALUE k.name FROM c JOIN k IN c.kids ORDER BY k.grade DESC").Apply(doc)
	require.NoError(t, err)
	require.Equal(t, []any{"K1", "K2"}, rows, "Apply leaves ORDER BY and TOP to the caller")
	_, err = mustBind(t, "SELECT VALUE COUNT(1) FROM c").Apply(doc)
	require.ErrorContains(t, err, "use Execute")
}

func TestOrderByItems(t *testing.T) {
	t.Parallel()
	q, err := Parse(`SELECT * FROM c ORDER BY c.ts DESC, c["a b"], c.tags[0] ASC`)
	require.NoError(t, err)
	require.Equal(t, []OrderItem{
		{Expr: "c.ts", Descending: true},
		{Expr: `c["a b"]`},
		{Expr: "c.tags[0]"},
	}, q.OrderBy())
	q, err = Parse("SELECT * FROM c")
	require.NoError(t, err)
	require.Nil(t, q.OrderBy())
}

func TestReadManyQueriesFromTheSDK(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "ids only", query: "SELECT * FROM c WHERE c.id IN (@param_id0, @param_id1)",
			params: []Param{{Name: "@param_id0", Value: "2"}, {Name: "@param_id1", Value: "9"}},
			want: `[{"id":"2","pk":"a","name":"bob","age":25,"city":"Bergen","tags":["y"],"kids":[],
				"active":false,"score":null}]`},
		{name: "one logical partition", query: `SELECT * FROM c WHERE c["pk"] = @pk0 AND c.id IN (@param_id0)`,
			params: []Param{{Name: "@pk0", Value: "b"}, {Name: "@param_id0", Value: "3"}},
			want:   `[{"id":"3","pk":"b","name":"Cid","age":"40","tags":[],"kids":[{"name":"K3","grade":3}],"active":true}]`},
		{name: "pairs with a null key", query: `SELECT * FROM c
			WHERE (c.id = @param_id0 AND c.pk = @param_pk00) OR (c.id = @param_id1 AND IS_NULL(c["nick"]))`,
			params: []Param{{Name: "@param_id0", Value: "1"}, {Name: "@param_pk00", Value: "a"},
				{Name: "@param_id1", Value: "4"}},
			want: `[{"id":"1","pk":"a","name":"Ann","age":30,"city":"Oslo","tags":["x","y"],
				"kids":[{"name":"K1","grade":1},{"name":"K2","grade":5}],"addr":{"zip":"0150","street name":"Main St"},
				"active":true,"score":1.5},
				{"id":"4","pk":"b","name":"Dee","age":35,"city":"Oslo","nick":null,"score":7}]`},
	})
}

func TestLargeInListUsesParameters(t *testing.T) {
	t.Parallel()
	var docs []any
	for i := range 2000 {
		docs = append(docs, map[string]any{"id": fmt.Sprint(i)})
	}
	text, params := inParams("SELECT VALUE c.id FROM c WHERE c.id IN (", 1000,
		func(i int) any { return fmt.Sprint(i * 3) })
	got := runQuery(t, text, params, docs)
	var ids []string
	require.NoError(t, json.Unmarshal([]byte(got), &ids))
	require.Len(t, ids, 667)
	require.Equal(t, "1998", ids[len(ids)-1])
}

// inParams closes prefix with an IN list of n parameters @param_id0.. (as the SDK's
// ReadMany writes them) whose values value gives.
func inParams(prefix string, n int, value func(i int) any) (string, []Param) {
	var text strings.Builder
	text.WriteString(prefix)
	params := make([]Param, n)
	for i := range n {
		if i > 0 {
			text.WriteString(", ")
		}
		params[i] = Param{Name: fmt.Sprintf("@param_id%d", i), Value: value(i)}
		text.WriteString(params[i].Name)
	}
	text.WriteString(")")
	return text.String(), params
}

func TestBoundIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	b := mustBind(t, "SELECT c.city, COUNT(1) AS n FROM c JOIN t IN c.tags WHERE c.name LIKE @p GROUP BY c.city",
		Param{Name: "@p", Value: "%"})
	want, err := b.Execute(slices.Values(docs))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				got, err := b.Execute(slices.Values(docs))
				if err != nil {
					errs <- err
					return
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					errs <- fmt.Errorf("got %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestExecuteDoesNotModifyDocuments(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	before, err := json.Marshal(docs)
	require.NoError(t, err)
	runQuery(t, "SELECT c.id, ARRAY_SLICE(c.tags, 0, 1) AS t, SetUnion(c.tags, ['z']) AS u "+
		"FROM c ORDER BY c.id DESC", nil, docs)
	after, err := json.Marshal(docs)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
}

func TestPlanFeatures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query string
		want  []string
	}{
		{"SELECT * FROM c WHERE c.x = 1", nil},
		{"SELECT VALUE EXISTS(SELECT VALUE COUNT(1) FROM t IN c.tags) FROM c", nil},
		{"SELECT TOP 1 * FROM c ORDER BY c.ts", []string{"TOP", "ORDER BY"}},
		{"SELECT DISTINCT VALUE c.k FROM c OFFSET 0 LIMIT 5", []string{"DISTINCT", "OFFSET LIMIT"}},
		{"SELECT c.k, COUNT(1) AS n FROM c GROUP BY c.k", []string{"GROUP BY", "aggregate"}},
		{"SELECT VALUE SUM(c.n) FROM c", []string{"aggregate"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			q, err := Parse(tt.query)
			require.NoError(t, err)
			require.Equal(t, tt.want, q.PlanFeatures())
		})
	}
}

// TestRowLimit is not parallel: it lowers the package's row limit while it runs.
func TestRowLimit(t *testing.T) {
	saved := rowLimit
	rowLimit = 1000
	t.Cleanup(func() { rowLimit = saved })
	doc := map[string]any{"a": make([]any, 20)}
	b := mustBind(t, "SELECT VALUE 1 FROM c JOIN x IN c.a JOIN y IN c.a JOIN z IN c.a")
	_, err := b.Execute(one(doc))
	var qe *Error
	require.ErrorAs(t, err, &qe)
	require.Contains(t, qe.Msg, "enumerates more than 1000 FROM/JOIN rows")
	_, err = b.Apply(doc)
	require.ErrorAs(t, err, &qe)
	rows, err := mustBind(t, "SELECT VALUE 1 FROM c JOIN x IN c.a JOIN y IN c.a").Execute(one(doc))
	require.NoError(t, err)
	require.Len(t, rows, 400)
}

func TestExecuteContextStops(t *testing.T) {
	t.Parallel()
	b := mustBind(t, "SELECT * FROM c")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.ExecuteContext(ctx, slices.Values(loadPeople(t)))
	require.ErrorIs(t, err, context.Canceled)
	ctx, cancel = context.WithCancel(context.Background())
	seen := 0
	docs := func(yield func(any) bool) {
		for {
			seen++
			if seen == 100 {
				cancel()
			}
			if !yield(map[string]any{"n": float64(seen)}) {
				return
			}
		}
	}
	_, err = b.ExecuteContext(ctx, docs)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 100, seen, "no document is evaluated after cancellation")
}
