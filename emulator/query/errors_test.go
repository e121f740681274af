package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		msg   string // substring of the message
		pos   int    // -1: do not check
	}{
		{"empty", "", "expected SELECT at the start of a query, found end of query", 0},
		{"not a select", "UPDATE c SET x = 1", "expected SELECT", 0},
		{"trailing tokens", "SELECT * FROM c c2 extra", "unexpected 'extra' after the end of the query", 19},
		{"unknown identifier", "SELECT VALUE d.id FROM c", "identifier 'd' could not be resolved", 13},
		{"container name is out of scope once aliased", "SELECT VALUE root.id FROM root r",
			"identifier 'root' could not be resolved", 13},
		{"uppercase literal", "SELECT * FROM c WHERE c.ok = TRUE",
			"literals true, false, null and undefined are lowercase", 29},
		{"unknown function", "SELECT VALUE FOO(c.x) FROM c",
			"'FOO' is not a recognized built-in function name", 13},
		{"unsupported function", "SELECT VALUE ST_DISTANCE(c.a, c.b) FROM c",
			"ST_DISTANCE is not supported", 13},
		{"udf", "SELECT VALUE udf.tax(c.x) FROM c",
			"user-defined functions (udf.name) are not supported", 13},
		{"wrong arity", "SELECT VALUE UPPER(c.x, 1) FROM c", "UPPER takes 1 argument(s), got 2", 13},
		{"variadic arity", "SELECT VALUE CONCAT('a') FROM c", "CONCAT takes at least 2 arguments, got 1", 13},
		{"COUNT(*)", "SELECT COUNT(*) FROM c", "'*' is not a function argument; write COUNT(1)", 13},
		{"IS NULL", "SELECT * FROM c WHERE c.x IS NULL", "use IS_NULL(x) or IS_DEFINED(x)", 26},
		{"VALUE with a list", "SELECT VALUE c.a, c.b FROM c", "SELECT VALUE takes exactly one expression", 16},
		{"aggregate arity", "SELECT VALUE COUNT() FROM c", "COUNT takes exactly one argument", 13},
		{"aggregate in WHERE", "SELECT * FROM c WHERE COUNT(1) > 1",
			"aggregate COUNT is only allowed in the select list", 22},
		{"nested aggregate", "SELECT VALUE SUM(COUNT(1)) FROM c", "aggregate COUNT is only allowed", 17},
		{"aggregate in ORDER BY", "SELECT VALUE c.id FROM c ORDER BY MAX(c.x)",
			"aggregate MAX is only allowed", 34},
		{"aggregate mixed with a plain property", "SELECT c.id, COUNT(1) FROM c",
			"mixes aggregates with 'c.id'", 7},
		{"ungrouped property", "SELECT c.city, c.name FROM c GROUP BY c.city",
			"property reference 'c.name' is invalid in the select list", 15},
		{"ungrouped nested path", "SELECT c.addr.zip FROM c GROUP BY c.city",
			"property reference 'c.addr.zip' is invalid", 7},
		{"ORDER BY a computed expression", "SELECT * FROM c ORDER BY LOWER(c.name)",
			"unsupported ORDER BY item 'LOWER(c.name)'", 0},
		{"ORDER BY the bare alias", "SELECT * FROM c ORDER BY c", "unsupported ORDER BY item 'c'", 0},
		{"GROUP BY with ORDER BY", "SELECT c.city FROM c GROUP BY c.city ORDER BY c.city",
			"GROUP BY cannot be combined with ORDER BY", 0},
		{"GROUP BY with star", "SELECT * FROM c GROUP BY c.city", "SELECT * is not allowed with GROUP BY", 0},
		{"GROUP BY a constant", "SELECT COUNT(1) FROM c GROUP BY 1",
			"GROUP BY expression '1' must contain at least one property reference", 0},
		{"GROUP BY subquery", "SELECT VALUE 1 FROM c GROUP BY (SELECT VALUE 1)",
			"GROUP BY does not allow subqueries", 0},
		{"star with JOIN", "SELECT * FROM c JOIN t IN c.tags",
			"SELECT * is only valid with a single input set", 0},
		{"star without FROM", "SELECT *", "SELECT * requires a FROM clause", 0},
		{"duplicate output name", "SELECT c.id, c.x.id FROM c", "property 'id' appears more than once", 13},
		{"duplicate alias", "SELECT VALUE 1 FROM c JOIN c IN c.tags", "alias 'c' is declared twice", 27},
		{"duplicate object key", `SELECT VALUE {"a": 1, a: 2}`,
			"property 'a' appears twice in the object", 22},
		{"negative TOP", "SELECT TOP -1 * FROM c", "expected a number or parameter after TOP", 11},
		{"fractional TOP", "SELECT TOP 1.5 * FROM c", "TOP must be a non-negative integer, got 1.5", 11},
		{"LIMIT without OFFSET", "SELECT * FROM c LIMIT 5", "LIMIT requires a preceding OFFSET", 16},
		{"OFFSET without LIMIT", "SELECT * FROM c OFFSET 5", "expected LIMIT after OFFSET n", -1},
		{"ALL subquery", "SELECT * FROM c WHERE ALL(SELECT VALUE t > 1 FROM t IN c.n)",
			"ALL(SELECT ...) subqueries are not supported", 22},
		{"IN subquery", "SELECT * FROM c WHERE c.id IN (SELECT VALUE 1)",
			"IN (SELECT ...) is not supported", 31},
		{"ORDER BY RANK", "SELECT * FROM c ORDER BY RANK FullTextScore(c.t, 'x')", "ORDER BY RANK", 25},
		{"unterminated string", "SELECT 'abc", "unterminated string literal", 7},
		{"bad escape", `SELECT '\q'`, "invalid escape sequence", 8},
		{"bad unicode escape", `SELECT '\u12G4'`, "invalid \\u escape", 8},
		{"bad character", "SELECT c.id FROM c WHERE c.x = #", "unexpected character '#'", 31},
		{"malformed number", "SELECT VALUE 12abc", "malformed number \"12abc\"", 13},
		{"huge number", "SELECT VALUE 1e999", "number 1e999 is out of range", 13},
		{"lonely at sign", "SELECT VALUE @", "'@' must be followed by a parameter name", 13},
		{"missing alias after AS", "SELECT c.id AS FROM c", "expected an alias after AS", 15},
		{"missing expression", "SELECT FROM c", "expected an expression in the select list", 7},
		{"unclosed parenthesis", "SELECT VALUE (1 + 2", "expected ')' to close the parenthesis", 19},
		{"missing ternary colon", "SELECT VALUE true ? 1", "expected ':' in the conditional expression", 21},
		{"BETWEEN without AND", "SELECT * FROM c WHERE c.x BETWEEN 1 OR 2",
			"expected AND in BETWEEN low AND high", 36},
		{"ESCAPE must be one character", "SELECT * FROM c WHERE c.x LIKE 'a' ESCAPE 'ab'",
			"ESCAPE takes a string literal of exactly one character", 42},
		{"bad LIKE class", "SELECT * FROM c WHERE c.x LIKE '[z-a]'", "invalid LIKE pattern '[z-a]'", -1},
		{"FROM path needs literal index", "SELECT * FROM c.arr[c.i] x",
			"a collection path index must be a string or a non-negative integer literal", 20},
		{"subquery in FROM needs an alias", "SELECT * FROM (SELECT * FROM c)",
			"expected an alias after a subquery", 31},
		{"deep nesting is bounded", "SELECT VALUE " + strings.Repeat("(", 500) + "1" + strings.Repeat(")", 500),
			"query nests too deeply", -1},
		{"REGEXMATCH bad pattern", "SELECT VALUE REGEXMATCH('a', '(')", "invalid REGEXMATCH pattern", 13},
		{"REGEXMATCH bad modifier", "SELECT VALUE REGEXMATCH('a', 'a', 'q')", "modifier 'q' is invalid", 13},
		{"keyword as property after select", "SELECT VALUE c.id FROM c WHERE",
			"expected an expression, found end of query", 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parseAndBind(tt.query)
			require.Error(t, err, "query %q should fail", tt.query)
			var qe *Error
			require.True(t, errors.As(err, &qe), "error %v is not a *Error", err)
			require.Contains(t, qe.Msg, tt.msg)
			if tt.pos >= 0 {
				require.Equal(t, tt.pos, qe.Pos, "position of %q in %q", tt.msg, tt.query)
			}
		})
	}
}

func parseAndBind(text string) error {
	q, err := Parse(text)
	if err != nil {
		return err
	}
	_, err = q.Bind(nil)
	return err
}

func TestBindErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		query  string
		params []Param
		msg    string
	}{
		{"missing parameter", "SELECT * FROM c WHERE c.id = @id AND c.pk = @pk",
			[]Param{{Name: "@id", Value: "1"}}, "parameter @pk is used by the query but not given"},
		{"name without @ does not match", "SELECT * FROM c WHERE c.id = @id",
			[]Param{{Name: "id", Value: "1"}}, "parameter @id is used by the query but not given"},
		{"duplicate parameter", "SELECT * FROM c WHERE c.id = @id",
			[]Param{{Name: "@id", Value: "1"}, {Name: "@id", Value: "2"}}, "parameter @id is given more than once"},
		{"TOP parameter must be an integer", "SELECT TOP @n * FROM c",
			[]Param{{Name: "@n", Value: "5"}}, "parameter @n must be a non-negative integer for TOP, OFFSET or LIMIT"},
		{"LIMIT parameter must not be negative", "SELECT * FROM c OFFSET 0 LIMIT @n",
			[]Param{{Name: "@n", Value: -1}}, "parameter @n must be a non-negative integer"},
		{"parameter must be JSON", "SELECT VALUE @p", []Param{{Name: "@p", Value: make(chan int)}},
			"parameter @p: not representable as JSON"},
		{"LIKE parameter pattern is checked at bind", "SELECT * FROM c WHERE c.x LIKE @p",
			[]Param{{Name: "@p", Value: "[b-a]"}}, "invalid LIKE pattern"},
		{"REGEXMATCH parameter pattern is checked at bind", "SELECT VALUE REGEXMATCH(c.x, @p) FROM c",
			[]Param{{Name: "@p", Value: "a("}}, "invalid REGEXMATCH pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := Parse(tt.query)
			require.NoError(t, err)
			b, err := q.Bind(tt.params)
			require.Nil(t, b)
			require.ErrorContains(t, err, tt.msg)
			var qe *Error
			require.True(t, errors.As(err, &qe), "error %v is not a *Error", err)
		})
	}
}

func TestBindIgnoresExtraParameters(t *testing.T) {
	t.Parallel()
	q, err := Parse("SELECT VALUE @a")
	require.NoError(t, err)
	b, err := q.Bind([]Param{{Name: "@a", Value: 1}, {Name: "@unused", Value: 2}})
	require.NoError(t, err)
	rows, err := b.Execute(nil)
	require.NoError(t, err)
	require.Equal(t, []any{1.0}, rows)
}

func TestRuntimeRegexError(t *testing.T) {
	t.Parallel()
	q, err := Parse("SELECT VALUE REGEXMATCH('x', c.p) FROM c")
	require.NoError(t, err)
	b, err := q.Bind(nil)
	require.NoError(t, err)
	_, err = b.Execute(one(map[string]any{"p": "("}))
	var qe *Error
	require.ErrorAs(t, err, &qe)
	require.Contains(t, qe.Msg, "invalid REGEXMATCH pattern")
}
