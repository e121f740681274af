package query

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWhereOperators(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "equality on strings", query: "SELECT VALUE c.id FROM c WHERE c.city = 'Oslo'",
			want: `["1","4"]`},
		{name: "not equal skips documents lacking the property",
			query: "SELECT VALUE c.id FROM c WHERE c.city != 'Oslo'", want: `["2"]`},
		{name: "<> is not equal", query: "SELECT VALUE c.id FROM c WHERE c.city <> 'Oslo'",
			want: `["2"]`},
		{name: "mixed-type comparison is undefined, so the string age is skipped",
			query: "SELECT VALUE c.id FROM c WHERE c.age > 20", want: `["1","2","4"]`},
		{name: "string comparison", query: "SELECT VALUE c.id FROM c WHERE c.age >= '4'",
			want: `["3"]`},
		{name: "number does not equal its string", query: "SELECT VALUE c.id FROM c WHERE c.age = 40",
			want: `[]`},
		{name: "null equals null only", query: "SELECT VALUE c.id FROM c WHERE c.score = null",
			want: `["2"]`},
		{name: "booleans", query: "SELECT VALUE c.id FROM c WHERE c.active = true",
			want: `["1","3"]`},
		{name: "a bare boolean property filters", query: "SELECT VALUE c.id FROM c WHERE c.active",
			want: `["1","3"]`},
		{name: "a non-boolean WHERE keeps nothing", query: "SELECT VALUE c.id FROM c WHERE c.age",
			want: `[]`},
		{name: "AND", query: "SELECT VALUE c.id FROM c WHERE c.pk = 'a' AND c.age < 30",
			want: `["2"]`},
		{name: "OR with undefined on one side",
			query: "SELECT VALUE c.id FROM c WHERE c.nope = 1 OR c.id = '3'", want: `["3"]`},
		{name: "NOT of undefined stays undefined",
			query: "SELECT VALUE c.id FROM c WHERE NOT (c.city = 'Oslo')", want: `["2"]`},
		{name: "NOT binds tighter than comparison",
			query: "SELECT VALUE c.id FROM c WHERE NOT c.active = false", want: `["1","3"]`},
		{name: "false AND undefined is false, so NOT is true",
			query: "SELECT VALUE c.id FROM c WHERE NOT (c.active AND c.city = 'Bergen')",
			want:  `["1","2","4"]`},
		{name: "true OR undefined is true",
			query: "SELECT VALUE c.id FROM c WHERE c.active OR c.zz", want: `["1","3"]`},
		{name: "IN", query: "SELECT VALUE c.id FROM c WHERE c.id IN ('2', '4', 4)",
			want: `["2","4"]`},
		{name: "NOT IN", query: "SELECT VALUE c.id FROM c WHERE c.city NOT IN ('Oslo')",
			want: `["2"]`},
		{name: "BETWEEN is inclusive", query: "SELECT VALUE c.id FROM c WHERE c.age BETWEEN 25 AND 30",
			want: `["1","2"]`},
		{name: "NOT BETWEEN", query: "SELECT VALUE c.id FROM c WHERE c.age NOT BETWEEN 25 AND 30",
			want: `["4"]`},
		{name: "BETWEEN combines with AND",
			query: "SELECT VALUE c.id FROM c WHERE c.age BETWEEN 20 AND 40 AND c.pk = 'b'",
			want:  `["4"]`},
		{name: "LIKE prefix", query: "SELECT VALUE c.id FROM c WHERE c.name LIKE 'C%'", want: `["3"]`},
		{name: "LIKE is case-sensitive", query: "SELECT VALUE c.id FROM c WHERE c.name LIKE 'b%'",
			want: `["2"]`},
		{name: "LIKE underscore and class",
			query: "SELECT VALUE c.id FROM c WHERE c.name LIKE '[A-C]_[^x]'", want: `["1","3"]`},
		{name: "NOT LIKE", query: "SELECT VALUE c.id FROM c WHERE c.name NOT LIKE '%e%'",
			want: `["1","2","3"]`},
		{name: "LIKE on a non-string is undefined",
			query: "SELECT VALUE c.id FROM c WHERE NOT (c.age LIKE '3%')", want: `["3"]`},
		{name: "LIKE with a parameter pattern", query: "SELECT VALUE c.id FROM c WHERE c.name LIKE @p",
			params: []Param{{Name: "@p", Value: "%o%"}}, want: `["2"]`},
		{name: "LIKE with a pattern from the document",
			query: "SELECT VALUE c.id FROM c WHERE c.name LIKE c.name", want: `["1","2","3","4"]`},
		{name: "coalesce picks the first defined value, null counts",
			query: "SELECT VALUE c.score ?? c.age ?? 'none' FROM c", want: `[1.5,null,"40",7]`},
		{name: "ternary", query: "SELECT VALUE c.age > 28 ? 'old' : 'young' FROM c",
			want: `["old","young","young","old"]`},
		{name: "ternary with undefined condition takes the else branch",
			query: "SELECT VALUE c.nope ? 1 : 2 FROM c WHERE c.id = '1'", want: `[2]`},
		{name: "parameters of every JSON type",
			query: `SELECT VALUE c.id FROM c WHERE c.age = @n AND c.city = @s AND c.active = @b
				AND ARRAY_CONTAINS(@arr, c.id) AND @obj.k = 1 AND IS_NULL(@nul)`,
			params: []Param{{Name: "@n", Value: 30}, {Name: "@s", Value: "Oslo"},
				{Name: "@b", Value: true}, {Name: "@arr", Value: []string{"1", "2"}},
				{Name: "@obj", Value: map[string]int{"k": 1}}, {Name: "@nul", Value: nil}},
			want: `["1"]`},
		{name: "object equality is deep",
			query: `SELECT VALUE c.id FROM c WHERE c.addr = {"zip": "0150", "street name": "Main St"}`,
			want:  `["1"]`},
		{name: "array equality is deep and ordered",
			query: `SELECT VALUE c.id FROM c WHERE c.tags = ["x", "y"] OR c.tags = ["y", "x"]`,
			want:  `["1"]`},
		{name: "!= between arrays is undefined",
			query: `SELECT VALUE c.id FROM c WHERE c.tags != ["q"]`, want: `[]`},
		{name: "< between arrays is undefined",
			query: `SELECT VALUE c.id FROM c WHERE c.tags < ["z"] OR c.tags >= ["z"]`, want: `[]`},
		{name: "a comment ends at the line end",
			query: "SELECT VALUE c.id FROM c -- only Dee\nWHERE c.id = '4'", want: `["4"]`},
	})
}

func TestLikePatterns(t *testing.T) {
	t.Parallel()
	docs := []any{map[string]any{"words": []any{
		"50%", "50 cents", "a_b", "ab", "a.c", "abc", "(x)", "[x]", "line\nbreak", "20-30%", "_n",
		"[", "]",
	}}}
	runCases(t, docs, []queryCase{
		{name: "ESCAPE makes % and _ literal", query: `SELECT VALUE s FROM s IN c.words
			WHERE s LIKE '%!%' ESCAPE '!' OR s LIKE 'a!_b' ESCAPE '!'`, want: `["50%","a_b","20-30%"]`},
		{name: "regular expression characters are literal",
			query: `SELECT VALUE s FROM s IN c.words WHERE s LIKE 'a.c' OR s LIKE '(%)'`,
			want:  `["a.c","(x)"]`},
		{name: "an unclosed bracket is literal",
			query: `SELECT VALUE s FROM s IN c.words WHERE s LIKE '[x%'`, want: `["[x]"]`},
		{name: "escaped bracket", query: `SELECT VALUE s FROM s IN c.words WHERE s LIKE '![x]' ESCAPE '!'`,
			want: `["[x]"]`},
		{name: "brackets make wildcards literal, as documented",
			query: `SELECT VALUE s FROM s IN c.words
				WHERE s LIKE "20-30[%]" OR s LIKE "[_]n" OR s LIKE "[ [ ]" OR s LIKE "]"`,
			want: `["20-30%","_n","[","]"]`},
		{name: "% spans newlines", query: `SELECT VALUE s FROM s IN c.words WHERE s LIKE 'line%'`,
			want: `["line\nbreak"]`},
	})
}

func TestExpressionOperators(t *testing.T) {
	t.Parallel()
	runCases(t, nil, []queryCase{
		{name: "arithmetic precedence", query: "SELECT VALUE 1 + 2 * 3 - 4 / 2 % 3", want: `[5]`},
		{name: "documented scalar examples", query: `SELECT VALUE [((2 + 11 % 7) - 2) / 2,
			("Redmond" = "WA"), ("WA" = "WA")]`, want: `[[2,false,true]]`},
		{name: "unary minus and plus", query: "SELECT VALUE [-(2 + 3), +4, - -1]", want: `[[-5,4,1]]`},
		{name: "arithmetic on non-numbers is undefined",
			query: "SELECT VALUE ['1' + 1, null * 2, true - 1, -'a']", want: `[[]]`},
		{name: "division by zero is undefined", query: "SELECT VALUE [1 / 0, 0 / 0, 5 % 0]",
			want: `[[]]`},
		{name: "string concatenation", query: "SELECT VALUE ['a' || 'b' || 'c', 'a' || 1]",
			want: `[["abc"]]`},
		{name: "concatenation binds looser than comparison",
			query: "SELECT VALUE 'x' || 'y' = 'xy'", want: `[]`},
		{name: "bitwise follows JavaScript's 32-bit semantics", query: `SELECT VALUE [6 & 3, 6 | 3, 6 ^ 3,
			~5, 1 << 4, -16 >> 2, -1 >>> 28, 1.5 & 1, 1 << 33, 4294967297 | 0, ~2147483648, 'a' & 1]`,
			want: `[[2,7,5,-6,16,-4,15,1,2,1,2147483647]]`},
		{name: "documented bitwise example", query: `SELECT (100 >> 2) AS rightShift, (100 << 2) AS leftShift,
			(100 >>> 0) AS zeroFillRightShift, (100 & 1000) AS logicalAnd, (100 | 1000) AS logicalOr,
			(100 ^ 1000) AS logicalExclusiveOr`, want: `[{"rightShift":25,"leftShift":400,
			"zeroFillRightShift":100,"logicalAnd":96,"logicalOr":1004,"logicalExclusiveOr":908}]`},
		{name: "comparisons yield booleans", query: "SELECT VALUE [1 < 2, 'a' > 'b', 2 <= 2, false < true]",
			want: `[[true,false,true,true]]`},
		{name: "null is not ordered against numbers", query: "SELECT VALUE [null < 1, null = null]",
			want: `[[true]]`},
		{name: "equality with undefined is undefined",
			query: "SELECT VALUE [undefined = undefined, undefined != 1]", want: `[[]]`},
		{name: "IN with undefined is undefined", query: "SELECT VALUE [undefined IN (1), 2 IN (1, 2)]",
			want: `[[true]]`},
		{name: "coalesce is right-associative and lazy", query: "SELECT VALUE undefined ?? undefined ?? 3",
			want: `[3]`},
		{name: "nested ternary", query: "SELECT VALUE false ? 1 : true ? 2 : 3", want: `[2]`},
		{name: "coalesce binds tighter than ternary", query: "SELECT VALUE undefined ?? true ? 'y' : 'n'",
			want: `["y"]`},
	})
}

// TestHashedInMatchesEquality pins that long constant IN lists, which are hashed, keep
// the semantics of '=' for every JSON type.
func TestHashedInMatchesEquality(t *testing.T) {
	t.Parallel()
	docs := []any{map[string]any{"vs": []any{
		1.0, "1", true, false, nil, []any{1.0}, map[string]any{"a": 1.0}, 2.0, "x", 0.0,
		[]any{2.0}, map[string]any{"a": 2.0},
	}}}
	list := `(1, "1", true, null, [1], {"a": 1}, -0, "y", 42)`
	var ors string
	for i, item := range []string{`1`, `"1"`, `true`, `null`, `[1]`, `{"a": 1}`, `-0`, `"y"`, `42`} {
		if i > 0 {
			ors += " OR "
		}
		ors += "v = " + item
	}
	hashed := runQuery(t, "SELECT VALUE v FROM v IN c.vs WHERE v IN "+list, nil, docs)
	linear := runQuery(t, "SELECT VALUE v FROM v IN c.vs WHERE "+ors, nil, docs)
	require.JSONEq(t, `[1,"1",true,null,[1],{"a":1},0]`, hashed)
	require.JSONEq(t, linear, hashed)
	notIn := runQuery(t, "SELECT VALUE v FROM v IN c.vs WHERE v NOT IN "+list, nil, docs)
	require.JSONEq(t, `[false,2,"x",[2],{"a":2}]`, notIn)
}
