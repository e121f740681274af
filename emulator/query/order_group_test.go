package query

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// mixedDocs has one document per JSON type in "v", plus one without it.
func mixedDocs(t *testing.T) []any {
	t.Helper()
	var docs []any
	require.NoError(t, json.Unmarshal([]byte(`[
		{"id": "str", "v": "a"}, {"id": "num2", "v": 2}, {"id": "true", "v": true},
		{"id": "none"}, {"id": "null", "v": null}, {"id": "false", "v": false},
		{"id": "num1", "v": 1}, {"id": "arr", "v": [1]}, {"id": "obj", "v": {"a": 1}},
		{"id": "str0", "v": ""}
	]`), &docs))
	return docs
}

func TestOrderBy(t *testing.T) {
	t.Parallel()
	people := loadPeople(t)
	mixed := mixedDocs(t)
	cases := []struct {
		queryCase
		docs []any
	}{
		{queryCase{name: "ascending numbers with the string age after them",
			query: "SELECT VALUE c.id FROM c ORDER BY c.age", want: `["2","1","4","3"]`}, people},
		{queryCase{name: "descending", query: "SELECT VALUE c.id FROM c ORDER BY c.age DESC",
			want: `["3","4","1","2"]`}, people},
		{queryCase{name: "cross-type order: undefined, null, false, true, numbers, strings, arrays, objects",
			query: "SELECT VALUE c.id FROM c ORDER BY c.v",
			want:  `["none","null","false","true","num1","num2","str0","str","arr","obj"]`}, mixed},
		{queryCase{name: "cross-type order descending",
			query: "SELECT VALUE c.id FROM c ORDER BY c.v DESC",
			want:  `["obj","arr","str","str0","num2","num1","true","false","null","none"]`}, mixed},
		{queryCase{name: "several keys with mixed directions",
			query: "SELECT VALUE c.id FROM c ORDER BY c.pk DESC, c.name ASC",
			want:  `["3","4","1","2"]`}, people},
		{queryCase{name: "documents lacking the key are kept and sort first",
			query: "SELECT VALUE c.id FROM c ORDER BY c.city",
			want:  `["3","2","1","4"]`}, people},
		{queryCase{name: "ties keep document order",
			query: "SELECT VALUE c.id FROM c ORDER BY c.pk", want: `["1","2","3","4"]`}, people},
		{queryCase{name: "order by a path not projected",
			query: "SELECT c.name FROM c ORDER BY c.addr.zip DESC, c.id",
			want:  `[{"name":"Ann"},{"name":"bob"},{"name":"Cid"},{"name":"Dee"}]`}, people},
		{queryCase{name: "order by over joined rows",
			query: "SELECT VALUE k.name FROM c JOIN k IN c.kids ORDER BY k.grade DESC",
			want:  `["K2","K3","K1"]`}, people},
		{queryCase{name: "TOP after ORDER BY",
			query: "SELECT TOP 1 VALUE c.id FROM c ORDER BY c.age DESC", want: `["3"]`}, people},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got := runQuery(t, tt.query, tt.params, tt.docs)
			require.JSONEq(t, tt.want, got, "got %s, want %s", got, tt.want)
		})
	}
}

func TestAggregates(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "COUNT(1) as VALUE", query: "SELECT VALUE COUNT(1) FROM c", want: `[4]`},
		{name: "COUNT counts defined values, null included",
			query: "SELECT COUNT(c.score) AS scored, COUNT(c.city) AS cities FROM c",
			want:  `[{"scored":3,"cities":3}]`},
		{name: "unnamed aggregates are numbered",
			query: "SELECT COUNT(1), MAX(c.age) FROM c", want: `[{"$1":4,"$2":"40"}]`},
		{name: "SUM and AVG of numbers skip undefined",
			query: "SELECT VALUE {s: SUM(k.grade), a: AVG(k.grade)} FROM c JOIN k IN c.kids",
			want:  `[{"s":9,"a":3}]`},
		{name: "SUM with a null or a string is undefined",
			query: "SELECT SUM(c.score) AS withNull, SUM(c.age) AS withString FROM c", want: `[{}]`},
		{name: "MIN and MAX follow the type order",
			query: "SELECT MIN(c.age) AS lo, MAX(c.age) AS hi, MIN(c.score) AS s, MAX(c.active) AS b FROM c",
			want:  `[{"lo":25,"hi":"40","s":null,"b":true}]`},
		{name: "MIN over objects is undefined",
			query: "SELECT VALUE MIN(c.addr) FROM c", want: `[]`},
		{name: "aggregates over no rows: COUNT 0, SUM 0, others undefined",
			query: "SELECT COUNT(1) AS n, SUM(c.age) AS s, AVG(c.age) AS a, MIN(c.age) AS lo FROM c WHERE c.id = 'zz'",
			want:  `[{"n":0,"s":0}]`},
		{name: "VALUE MAX over no rows yields no row",
			query: "SELECT VALUE MAX(c.age) FROM c WHERE false", want: `[]`},
		{name: "aggregate inside an expression",
			query: "SELECT VALUE SUM(k.grade) / COUNT(1) FROM c JOIN k IN c.kids", want: `[3]`},
		{name: "aggregate with a filter",
			query: "SELECT VALUE COUNT(1) FROM c WHERE c.city = 'Oslo'", want: `[2]`},
		{name: "aggregate in a subquery does not make the outer query aggregate",
			query: "SELECT c.id, (SELECT VALUE COUNT(1) FROM k IN c.kids) AS kids FROM c",
			want:  `[{"id":"1","kids":2},{"id":"2","kids":0},{"id":"3","kids":1},{"id":"4","kids":0}]`},
	})
}

func TestGroupBy(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "count per key, missing key is its own group",
			query: "SELECT c.city, COUNT(1) AS n FROM c GROUP BY c.city",
			want:  `[{"city":"Oslo","n":2},{"city":"Bergen","n":1},{"n":1}]`},
		{name: "several keys",
			query: "SELECT c.pk, c.active, COUNT(1) AS n FROM c GROUP BY c.pk, c.active",
			want: `[{"pk":"a","active":true,"n":1},{"pk":"a","active":false,"n":1},
				{"pk":"b","active":true,"n":1},{"pk":"b","n":1}]`},
		{name: "SUM MIN MAX AVG per group",
			query: "SELECT c.pk, SUM(c.age) AS s, MIN(c.name) AS lo, MAX(c.name) AS hi, AVG(c.age) AS a FROM c GROUP BY c.pk",
			want:  `[{"pk":"a","s":55,"lo":"Ann","hi":"bob","a":27.5},{"pk":"b","lo":"Cid","hi":"Dee"}]`},
		{name: "VALUE with GROUP BY", query: "SELECT VALUE COUNT(1) FROM c GROUP BY c.pk",
			want: `[2,2]`},
		{name: "group by an expression and project it",
			query: "SELECT LOWER(c.city) AS city, COUNT(1) AS n FROM c WHERE IS_DEFINED(c.city) GROUP BY LOWER(c.city)",
			want:  `[{"city":"oslo","n":2},{"city":"bergen","n":1}]`},
		{name: "project a path below a grouped object",
			query: "SELECT c.addr.zip AS zip FROM c GROUP BY c.addr", want: `[{"zip":"0150"},{}]`},
		{name: "group over joined rows",
			query: "SELECT t AS tag, COUNT(1) AS n FROM c JOIN t IN c.tags GROUP BY t",
			want:  `[{"tag":"x","n":1},{"tag":"y","n":2}]`},
		{name: "GROUP BY with OFFSET LIMIT",
			query: "SELECT VALUE c.pk FROM c GROUP BY c.pk OFFSET 1 LIMIT 5", want: `["b"]`},
		{name: "GROUP BY with no rows yields no groups",
			query: "SELECT c.pk, COUNT(1) AS n FROM c WHERE false GROUP BY c.pk", want: `[]`},
		{name: "literal in a grouped select list",
			query: "SELECT c.pk, 'k' AS kind FROM c GROUP BY c.pk",
			want:  `[{"pk":"a","kind":"k"},{"pk":"b","kind":"k"}]`},
	})
}

func TestJoinsAndSubqueries(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "JOIN drops documents with empty or missing arrays",
			query: "SELECT c.id, k.name FROM c JOIN k IN c.kids",
			want:  `[{"id":"1","name":"K1"},{"id":"1","name":"K2"},{"id":"3","name":"K3"}]`},
		{name: "two JOINs form the cross product",
			query: "SELECT VALUE [c.id, k.name, t] FROM c JOIN k IN c.kids JOIN t IN c.tags",
			want:  `[["1","K1","x"],["1","K1","y"],["1","K2","x"],["1","K2","y"]]`},
		{name: "JOIN filtered on the joined alias",
			query: "SELECT VALUE c.id FROM c JOIN k IN c.kids WHERE k.grade > 2",
			want:  `["1","3"]`},
		{name: "JOIN to a value path binds it once",
			query: "SELECT VALUE [c.id, a.zip] FROM c JOIN c.addr a", want: `[["1","0150"]]`},
		{name: "JOIN over a path of a joined alias",
			query: "SELECT VALUE [k.name, g] FROM c JOIN k IN c.kids JOIN k.grade g",
			want:  `[["K1",1],["K2",5],["K3",3]]`},
		{name: "IN over a non-array yields no rows",
			query: "SELECT VALUE n FROM c JOIN k IN c.kids JOIN n IN k.name", want: `[]`},
		{name: "EXISTS subquery",
			query: "SELECT VALUE c.id FROM c WHERE EXISTS(SELECT VALUE k FROM k IN c.kids WHERE k.grade >= 3)",
			want:  `["1","3"]`},
		{name: "NOT EXISTS",
			query: "SELECT VALUE c.id FROM c WHERE NOT EXISTS(SELECT VALUE t FROM t IN c.tags)",
			want:  `["3","4"]`},
		{name: "ARRAY subquery",
			query: "SELECT c.id, ARRAY(SELECT VALUE k.name FROM k IN c.kids ORDER BY k.grade DESC) AS names " +
				"FROM c WHERE c.id IN ('1', '2')",
			want: `[{"id":"1","names":["K2","K1"]},{"id":"2","names":[]}]`},
		{name: "scalar subquery",
			query: "SELECT VALUE (SELECT VALUE MAX(k.grade) FROM k IN c.kids) FROM c", want: `[5,3]`},
		{name: "JOIN to a subquery",
			query: "SELECT VALUE [c.id, g] FROM c JOIN (SELECT VALUE k.grade FROM k IN c.kids WHERE k.grade > 1) g",
			want:  `[["1",5],["3",3]]`},
		{name: "FROM subquery over the container",
			query: "SELECT VALUE COUNT(1) FROM (SELECT DISTINCT VALUE c.pk FROM c) p", want: `[2]`},
		{name: "FROM subquery with TOP",
			query: "SELECT VALUE x.id FROM (SELECT TOP 2 c.id FROM c ORDER BY c.id DESC) x",
			want:  `["4","3"]`},
	})
}
