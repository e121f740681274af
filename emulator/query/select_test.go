package query

import "testing"

func TestSelectProjections(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "star returns documents unchanged", query: "SELECT * FROM c WHERE c.id = '2'",
			want: `[{"id":"2","pk":"a","name":"bob","age":25,"city":"Bergen","tags":["y"],
				"kids":[],"active":false,"score":null}]`},
		{name: "property names come from the last path segment",
			query: "SELECT c.id, c.addr.zip FROM c WHERE c.id = '1'",
			want:  `[{"id":"1","zip":"0150"}]`},
		{name: "undefined properties are omitted, null kept",
			query: "SELECT c.id, c.city, c.nick FROM c WHERE c.pk = 'b'",
			want:  `[{"id":"3"},{"id":"4","city":"Oslo","nick":null}]`},
		{name: "all-undefined projection is an empty object",
			query: "SELECT c.missing FROM c WHERE c.id = '1'", want: `[{}]`},
		{name: "aliases with and without AS",
			query: "SELECT c.name AS who, c.age years FROM c WHERE c.id = '1'",
			want:  `[{"who":"Ann","years":30}]`},
		{name: "computed items are numbered $1, $2 in order",
			query: "SELECT c.age + 1, c.id, UPPER(c.name) FROM c WHERE c.id = '2'",
			want:  `[{"$1":26,"id":"2","$2":"BOB"}]`},
		{name: "VALUE returns bare values and drops undefined",
			query: "SELECT VALUE c.city FROM c", want: `["Oslo","Bergen","Oslo"]`},
		{name: "VALUE of the alias",
			query: "SELECT VALUE c.id FROM root c", want: `["1","2","3","4"]`},
		{name: "bracket paths with spaces and array indexes",
			query: `SELECT VALUE [c.addr["street name"], c["kids"][1].name, c.tags[0]] FROM c WHERE c.id = '1'`,
			want:  `[["Main St","K2","x"]]`},
		{name: "index out of range and wrong types are undefined",
			query: `SELECT VALUE [c.tags[5], c.tags["x"], c.addr[0], c.tags[-1], c.tags[0.5]] FROM c WHERE c.id = '1'`,
			want:  `[[]]`},
		{name: "object constructor omits undefined properties",
			query: `SELECT VALUE {"n": c.name, city: c.city, "zip": c.addr.zip} FROM c WHERE c.id IN ('1','3')`,
			want:  `[{"n":"Ann","city":"Oslo","zip":"0150"},{"n":"Cid"}]`},
		{name: "array constructor skips undefined elements",
			query: "SELECT VALUE [c.id, c.city, null] FROM c WHERE c.pk = 'b'",
			want:  `[["3",null],["4","Oslo",null]]`},
		{name: "select the alias itself names the property after it",
			query: "SELECT k FROM c JOIN k IN c.kids WHERE c.id = '3'",
			want:  `[{"k":{"name":"K3","grade":3}}]`},
		{name: "FROM with a path and its default alias",
			query: "SELECT VALUE addr.zip FROM c.addr", want: `["0150"]`},
		{name: "FROM path with explicit alias skips documents lacking it",
			query: "SELECT * FROM people.addr a", want: `[{"zip":"0150","street name":"Main St"}]`},
		{name: "FROM x IN iterates arrays",
			query: "SELECT VALUE k.name FROM k IN c.kids", want: `["K1","K2","K3"]`},
		{name: "SELECT * over an iterated source",
			query: "SELECT * FROM t IN c.tags", want: `["x","y","y"]`},
		{name: "no FROM evaluates once",
			query: "SELECT 1 + 2 AS three, 'a' || 'b'", want: `[{"three":3,"$1":"ab"}]`},
		{name: "no FROM VALUE", query: "SELECT VALUE [1, 'two', true, null, {}]",
			want: `[[1,"two",true,null,{}]]`},
		{name: "keywords are case-insensitive",
			query: "select value c.id from c where c.age >= 35 and not (c.id = '9')",
			want:  `["4"]`},
		{name: "keywords may follow a dot", query: "SELECT VALUE {a: 1}.a", want: `[1]`},
		{name: "identifiers are case-sensitive",
			query: "SELECT VALUE c.Name FROM c", want: `[]`},
		{name: "string escapes",
			query: `SELECT VALUE ['it\'s', "say \"hi\"", '\u00e9\n', "\ud83d\ude00"]`,
			want:  `[["it's","say \"hi\"","é\n","😀"]]`},
		{name: "number literals", query: "SELECT VALUE [1, -2.5, .5, 1e3, 2E-2]",
			want: `[[1,-2.5,0.5,1000,0.02]]`},
		{name: "undefined literal is dropped", query: "SELECT VALUE undefined", want: `[]`},
	})
}

func TestSelectTopAndOffset(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "TOP", query: "SELECT TOP 2 VALUE c.id FROM c", want: `["1","2"]`},
		{name: "TOP 0", query: "SELECT TOP 0 VALUE c.id FROM c", want: `[]`},
		{name: "TOP larger than the result", query: "SELECT TOP 10 VALUE c.id FROM c",
			want: `["1","2","3","4"]`},
		{name: "TOP parameter", query: "SELECT TOP @n VALUE c.id FROM c",
			params: []Param{{Name: "@n", Value: 3}}, want: `["1","2","3"]`},
		{name: "OFFSET LIMIT", query: "SELECT VALUE c.id FROM c OFFSET 1 LIMIT 2",
			want: `["2","3"]`},
		{name: "OFFSET past the end", query: "SELECT VALUE c.id FROM c OFFSET 10 LIMIT 2",
			want: `[]`},
		{name: "OFFSET LIMIT parameters", query: "SELECT VALUE c.id FROM c OFFSET @o LIMIT @l",
			params: []Param{{Name: "@o", Value: 3.0}, {Name: "@l", Value: 5}}, want: `["4"]`},
		{name: "OFFSET LIMIT after ORDER BY",
			query: "SELECT VALUE c.id FROM c ORDER BY c.id DESC OFFSET 1 LIMIT 2",
			want:  `["3","2"]`},
		{name: "TOP applies after OFFSET LIMIT", query: "SELECT TOP 2 VALUE c.id FROM c OFFSET 1 LIMIT 3",
			want: `["2","3"]`},
		{name: "TOP with DISTINCT counts distinct rows",
			query: "SELECT DISTINCT TOP 2 VALUE t FROM c JOIN t IN c.tags", want: `["x","y"]`},
	})
}

func TestDistinct(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "distinct values keep first-seen order",
			query: "SELECT DISTINCT VALUE c.city FROM c", want: `["Oslo","Bergen"]`},
		{name: "distinct objects compare deeply",
			query: "SELECT DISTINCT c.pk FROM c", want: `[{"pk":"a"},{"pk":"b"}]`},
		{name: "distinct with ORDER BY",
			query: "SELECT DISTINCT VALUE c.pk FROM c ORDER BY c.pk DESC", want: `["b","a"]`},
	})
}

func TestDistinctMixedTypes(t *testing.T) {
	t.Parallel()
	docs := []any{map[string]any{"mixed": []any{
		1.0, "1", true, nil, []any{1.0}, map[string]any{"a": 1.0}, 1.0, "1", []any{1.0},
		map[string]any{"a": 1.0},
	}}}
	got := runQuery(t, "SELECT DISTINCT VALUE v FROM v IN c.mixed", nil, docs)
	want := `[1,"1",true,null,[1],{"a":1}]`
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
