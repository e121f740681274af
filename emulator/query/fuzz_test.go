package query

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// fuzzSeeds are valid and invalid queries covering every clause; testdata/fuzz holds
// more.
var fuzzSeeds = []string{
	"SELECT * FROM c",
	"SELECT c.id, c.n * 2 AS d FROM c WHERE c.n > 1 AND NOT IS_NULL(c.s)",
	"SELECT VALUE t FROM c JOIN t IN c.tags WHERE t LIKE 'x%' ESCAPE '!'",
	"SELECT DISTINCT TOP 3 VALUE c.s ?? 'none' FROM c ORDER BY c.n DESC, c.id",
	"SELECT c.s, COUNT(1) AS k, SUM(c.n), MIN(c.o), MAX(c.tags), AVG(c.n) FROM c GROUP BY c.s",
	"SELECT VALUE COUNT(1) FROM c OFFSET @o LIMIT @l",
	"SELECT c.id FROM c WHERE EXISTS(SELECT VALUE t FROM t IN c.tags WHERE t = @p)",
	"SELECT VALUE {a: c.id, b: [c.n, c.missing], c: ARRAY(SELECT VALUE x FROM x IN c.tags)} FROM c",
	"SELECT VALUE (SELECT VALUE MAX(x) FROM x IN c.tags) FROM c",
	"SELECT VALUE x FROM (SELECT DISTINCT VALUE c.s FROM c) x",
	`SELECT c["a b"], c.arr[0] FROM root c WHERE c.n BETWEEN 1 AND 5 OR c.id IN ('a', "b", 3)`,
	"SELECT VALUE c.n > 1 ? CONCAT(c.s, '!') : SUBSTRING(c.s, 0, 1) FROM c",
	"SELECT VALUE [ABS(-1), ROUND(c.n / 3), REGEXMATCH(c.s, '^a', 'i'), ARRAY_SLICE(c.tags, -1)] FROM c",
	"SELECT * FROM c WHERE c.id IN (@a, @b, @c, @d, @e, @f, @g, @h, @i)",
	"SELECT VALUE ~c.n << 2 | 1 ^ 3 & 7 >>> 1 FROM c",
	"select value udf.f(1)",
	"SELECT * FROM c WHERE",
	"SELECT 'unterminated",
	"SELECT VALUE ((((1))))",
}

// FuzzParseExecute checks that no query text panics the parser or the evaluator, that
// every row marshals as JSON (no undefined or NaN leaks out), and that streamable queries
// give the same rows through Apply as through Execute.
func FuzzParseExecute(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	docs := fuzzDocs()
	f.Fuzz(func(t *testing.T, text string) {
		q, err := Parse(text)
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) returned %T, want *Error", text, err)
			}
			return
		}
		b, err := q.Bind(fuzzParams(q))
		if err != nil {
			return
		}
		rows, err := b.Execute(slices.Values(docs))
		if err != nil {
			return
		}
		if _, err := json.Marshal(rows); err != nil {
			t.Fatalf("rows of %q do not marshal: %v", text, err)
		}
		for _, r := range rows {
			if containsUndefined(r) {
				t.Fatalf("rows of %q contain undefined: %v", text, rows)
			}
		}
		checkApply(t, b, text, docs, rows)
	})
}

func checkApply(t *testing.T, b *Bound, text string, docs, rows []any) {
	if _, hasTop := b.Top(); !b.Streamable() || hasTop {
		return
	}
	applied := []any{}
	for _, d := range docs {
		got, err := b.Apply(d)
		if err != nil {
			return
		}
		applied = append(applied, got...)
	}
	want, _ := json.Marshal(rows)
	got, _ := json.Marshal(applied)
	if string(want) != string(got) {
		t.Fatalf("%q: Apply gave %s, Execute gave %s", text, got, want)
	}
}

func containsUndefined(v any) bool {
	switch x := v.(type) {
	case undefinedValue:
		return true
	case []any:
		return slices.ContainsFunc(x, containsUndefined)
	case map[string]any:
		for _, e := range x {
			if containsUndefined(e) {
				return true
			}
		}
	}
	return false
}

// fuzzParams gives every parameter a value, cycling through JSON types.
func fuzzParams(q *Query) []Param {
	values := []any{"a", 1.0, true, nil, []any{"x", 2.0}, map[string]any{"k": "v"}, 0.0, 3.0}
	params := make([]Param, len(q.paramNames))
	for i, name := range q.paramNames {
		params[i] = Param{Name: name, Value: values[i%len(values)]}
	}
	return params
}

func fuzzDocs() []any {
	var docs []any
	_ = json.Unmarshal([]byte(`[
		{"id": "a", "n": 1, "s": "abc", "tags": ["x", "y"], "o": {"k": 1}, "a b": true, "arr": [1, [2]]},
		{"id": "b", "n": 2.5, "s": "Bcd", "tags": [], "o": null},
		{"id": "c", "s": null, "tags": ["y", 3, null, {"k": "v"}], "n": -4},
		{"id": 4, "n": "5", "arr": []}
	]`), &docs)
	return docs
}

// FuzzParse checks that Parse never panics and that every error is an *Error whose
// position lies within the text.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		q, err := Parse(text)
		if err == nil {
			_ = q.OrderBy()
			return
		}
		var qe *Error
		if !errors.As(err, &qe) {
			t.Fatalf("Parse(%q) returned %T, want *Error", text, err)
		}
		if qe.Pos < 0 || qe.Pos > len(text) {
			t.Fatalf("Parse(%q): error position %d outside the text: %v", text, qe.Pos, err)
		}
	})
}
