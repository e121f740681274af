package query

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTypeCheckFunctions(t *testing.T) {
	t.Parallel()
	docs := []any{map[string]any{
		"n": 1.0, "f": 1.5, "s": "x", "b": false, "z": nil, "a": []any{}, "o": map[string]any{},
	}}
	// Each row lists the function's result for n, f, s, b, z, a, o and a missing property.
	runCases(t, docs, []queryCase{
		{name: "IS_DEFINED", query: typeRow("IS_DEFINED"),
			want: `[[true,true,true,true,true,true,true,false]]`},
		{name: "IS_NULL", query: typeRow("IS_NULL"),
			want: `[[false,false,false,false,true,false,false,false]]`},
		{name: "IS_NUMBER", query: typeRow("IS_NUMBER"),
			want: `[[true,true,false,false,false,false,false,false]]`},
		{name: "IS_STRING", query: typeRow("IS_STRING"),
			want: `[[false,false,true,false,false,false,false,false]]`},
		{name: "IS_BOOL", query: typeRow("IS_BOOL"),
			want: `[[false,false,false,true,false,false,false,false]]`},
		{name: "IS_ARRAY", query: typeRow("IS_ARRAY"),
			want: `[[false,false,false,false,false,true,false,false]]`},
		{name: "IS_OBJECT", query: typeRow("IS_OBJECT"),
			want: `[[false,false,false,false,false,false,true,false]]`},
		{name: "IS_PRIMITIVE", query: typeRow("IS_PRIMITIVE"),
			want: `[[true,true,true,true,true,false,false,false]]`},
		{name: "IS_INTEGER", query: typeRow("IS_INTEGER"),
			want: `[[true,false,false,false,false,false,false,false]]`},
		{name: "IS_FINITE_NUMBER", query: typeRow("IS_FINITE_NUMBER"),
			want: `[[true,true,false,false,false,false,false,false]]`},
		{name: "function names are case-insensitive",
			query: "SELECT VALUE [is_defined(c.n), Is_Null(c.z)] FROM c", want: `[[true,true]]`},
	})
}

func typeRow(fn string) string {
	q := "SELECT VALUE ["
	for i, p := range []string{"n", "f", "s", "b", "z", "a", "o", "missing"} {
		if i > 0 {
			q += ", "
		}
		q += fn + "(c." + p + ")"
	}
	return q + "] FROM c"
}

func TestStringFunctions(t *testing.T) {
	t.Parallel()
	runCases(t, nil, []queryCase{
		{name: "CONCAT", query: "SELECT VALUE [CONCAT('a', 'b', 'c'), CONCAT('a', 1)]",
			want: `[["abc"]]`},
		{name: "CONTAINS", query: "SELECT VALUE [CONTAINS('Hello', 'ell'), CONTAINS('Hello', 'ELL'), " +
			"CONTAINS('Hello', 'ELL', true), CONTAINS(1, '1'), CONTAINS('a', 'a', 'yes')]",
			want: `[[true,false,true]]`},
		{name: "STARTSWITH and ENDSWITH", query: "SELECT VALUE [STARTSWITH('abc', 'ab'), " +
			"STARTSWITH('abc', 'AB', true), ENDSWITH('abc', 'bc'), ENDSWITH('abc', 'BC'), " +
			"ENDSWITH('abc', 'BC', true)]", want: `[[true,true,true,false,true]]`},
		{name: "STRINGEQUALS", query: "SELECT VALUE [STRINGEQUALS('a', 'A'), STRINGEQUALS('a', 'A', true)]",
			want: `[[false,true]]`},
		{name: "LENGTH counts characters", query: "SELECT VALUE [LENGTH('abc'), LENGTH('héé'), LENGTH(5)]",
			want: `[[3,3]]`},
		{name: "LOWER and UPPER", query: "SELECT VALUE [LOWER('AbC'), UPPER('AbC'), UPPER(null)]",
			want: `[["abc","ABC"]]`},
		{name: "SUBSTRING is zero-based", query: "SELECT VALUE [SUBSTRING('abcdef', 1, 3), " +
			"SUBSTRING('abc', 2, 10), SUBSTRING('abc', 5, 1), SUBSTRING('abc', -1, 2)]",
			want: `[["bcd","c","","ab"]]`},
		{name: "INDEX_OF", query: "SELECT VALUE [INDEX_OF('abcabc', 'c'), INDEX_OF('abc', 'z'), " +
			"INDEX_OF('abcabc', 'c', 3), INDEX_OF('ééx', 'x')]", want: `[[2,-1,5,2]]`},
		{name: "REPLACE", query: "SELECT VALUE [REPLACE('a-b-c', '-', '+'), REPLACE('abc', '', 'x')]",
			want: `[["a+b+c","abc"]]`},
		{name: "REPLICATE", query: "SELECT VALUE [REPLICATE('ab', 3), REPLICATE('a', 0), REPLICATE('a', -1)]",
			want: `[["ababab",""]]`},
		{name: "TRIM family", query: "SELECT VALUE [TRIM('  a b  '), LTRIM('  a '), RTRIM(' a  ')]",
			want: `[["a b","a "," a"]]`},
		{name: "LEFT and RIGHT", query: "SELECT VALUE [LEFT('abc', 2), RIGHT('abc', 2), LEFT('abc', 9), RIGHT('ab', 0)]",
			want: `[["ab","bc","abc",""]]`},
		{name: "REVERSE", query: "SELECT VALUE REVERSE('abé')", want: `["éba"]`},
		{name: "TOSTRING", query: "SELECT VALUE [TOSTRING(1), TOSTRING(1.5), TOSTRING('s'), " +
			"TOSTRING(true), TOSTRING(null), TOSTRING([1, 'a']), TOSTRING({\"k\": 2}), TOSTRING(undefined)]",
			want: `[["1","1.5","s","true","null","[1,\"a\"]","{\"k\":2}"]]`},
		{name: "STRINGTO conversions", query: `SELECT VALUE [StringToArray('[1, "a"]'), StringToArray('{}'),
			StringToBoolean('true'), StringToBoolean('1'), StringToNull('null'), StringToNumber('1.5e1'),
			StringToNumber('x'), StringToObject('{"a": [1]}'), StringToObject('[1]')]`,
			want: `[[[1,"a"],true,null,15,{"a":[1]}]]`},
		{name: "REGEXMATCH", query: "SELECT VALUE [REGEXMATCH('abc', '^a.c$'), REGEXMATCH('ABC', 'abc'), " +
			"REGEXMATCH('ABC', 'abc', 'i'), REGEXMATCH('a\\nb', '^b$', 'm'), REGEXMATCH(1, 'a')]",
			want: `[[true,false,true,true]]`},
		{name: "REGEXMATCH with a pattern from a parameter",
			query: "SELECT VALUE REGEXMATCH('sensor-17', @p)", params: []Param{{Name: "@p", Value: `^sensor-\d+$`}},
			want: `[true]`},
	})
}

func TestMathFunctions(t *testing.T) {
	t.Parallel()
	runCases(t, nil, []queryCase{
		{name: "ABS CEILING FLOOR", query: "SELECT VALUE [ABS(-2), CEILING(1.2), CEILING(-1.2), FLOOR(1.8), FLOOR(-1.2)]",
			want: `[[2,2,-1,1,-2]]`},
		{name: "ROUND rounds half away from zero", query: "SELECT VALUE [ROUND(2.5), ROUND(-2.5), ROUND(2.4)]",
			want: `[[3,-3,2]]`},
		{name: "TRUNC SIGN", query: "SELECT VALUE [TRUNC(2.7), TRUNC(-2.7), SIGN(-3), SIGN(0), SIGN(4)]",
			want: `[[2,-2,-1,0,1]]`},
		{name: "SQRT POWER SQUARE", query: "SELECT VALUE [SQRT(16), POWER(2, 10), SQUARE(3), SQRT(-1)]",
			want: `[[4,1024,9]]`},
		{name: "logarithms", query: "SELECT VALUE [LOG(1), LOG(8, 2), LOG10(1000), EXP(0), LOG(0)]",
			want: `[[0,3,3,1]]`},
		{name: "trigonometry", query: "SELECT VALUE [SIN(0), COS(0), TAN(0), DEGREES(PI()), RADIANS(180) = PI(), ATN2(1, 0)]",
			want: `[[0,1,0,180,true,0]]`},
		{name: "NumberBin", query: "SELECT VALUE [NumberBin(7, 5), NumberBin(-1.5), NumberBin(12.3, 0.5)]",
			want: `[[5,-2,12]]`},
		{name: "math on non-numbers is undefined", query: "SELECT VALUE [ABS('1'), POWER(2, null), ROUND(true)]",
			want: `[[]]`},
		{name: "integer functions", query: "SELECT VALUE [IntAdd(2, 3), IntSub(2, 3), IntMul(4, 5), IntDiv(7, 2), " +
			"IntMod(7, 2), IntBitAnd(6, 3), IntBitOr(6, 3), IntBitXor(6, 3), IntBitNot(0), " +
			"IntBitLeftShift(1, 3), IntBitRightShift(16, 2), IntDiv(1, 0), IntAdd(1.5, 1)]",
			want: `[[5,-1,20,3,1,2,7,5,-1,8,4]]`},
	})
}

func TestArrayFunctions(t *testing.T) {
	t.Parallel()
	docs := loadPeople(t)
	runCases(t, docs, []queryCase{
		{name: "ARRAY_LENGTH", query: "SELECT VALUE ARRAY_LENGTH(c.tags) FROM c", want: `[2,1,0]`},
		{name: "ARRAY_CONTAINS", query: "SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.tags, 'y')",
			want: `["1","2"]`},
		{name: "ARRAY_CONTAINS with a full object",
			query: `SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(c.kids, {"name": "K3", "grade": 3})`,
			want:  `["3"]`},
		{name: "ARRAY_CONTAINS needs partial match for a subset object",
			query: `SELECT VALUE [ARRAY_CONTAINS(c.kids, {"name": "K2"}), ARRAY_CONTAINS(c.kids, {"name": "K2"}, true),
				ARRAY_CONTAINS(c.kids, {"name": "K2", "grade": 4}, true)] FROM c WHERE c.id = '1'`,
			want: `[[false,true,false]]`},
		{name: "ARRAY_CONTAINS_ANY and ALL",
			query: `SELECT VALUE [ARRAY_CONTAINS_ANY(c.tags, 'q', 'y'), ARRAY_CONTAINS_ALL(c.tags, 'x', 'y'),
				ARRAY_CONTAINS_ALL(c.tags, 'x', 'q'), ARRAY_CONTAINS_ANY(c.tags, 'q')] FROM c WHERE c.id = '1'`,
			want: `[[true,true,false,false]]`},
		{name: "ARRAY_SLICE", query: `SELECT VALUE [ARRAY_SLICE(["a","b","c","d"], 1), ARRAY_SLICE(["a","b","c","d"], 1, 2),
			ARRAY_SLICE(["a","b","c","d"], -2, 1), ARRAY_SLICE(["a","b"], 5), ARRAY_SLICE(["a","b"], -9, 1),
			ARRAY_SLICE(["a","b"], 0, -1)]`, want: `[[["b","c","d"],["b","c"],["c"],[],["a"],[]]]`},
		{name: "documented ARRAY_SLICE example", query: `SELECT
			ARRAY_SLICE(["apples", "strawberries", "bananas"], 1) AS s1,
			ARRAY_SLICE(["apples", "strawberries", "bananas"], 1, 1) AS s2,
			ARRAY_SLICE(["apples", "strawberries", "bananas"], -2, 1) AS s3,
			ARRAY_SLICE(["apples", "strawberries", "bananas"], -2, 2) AS s4,
			ARRAY_SLICE(["apples", "strawberries", "bananas"], 1, 0) AS s5,
			ARRAY_SLICE(["apples", "strawberries", "bananas"], 1, 1000) AS s6,
			ARRAY_SLICE(["apples", "strawberries", "bananas"], 1, -100) AS s7`,
			want: `[{"s1":["strawberries","bananas"],"s2":["strawberries"],"s3":["strawberries"],
				"s4":["strawberries","bananas"],"s5":[],"s6":["strawberries","bananas"],"s7":[]}]`},
		{name: "ARRAY_CONCAT", query: `SELECT VALUE [ARRAY_CONCAT([1], [2, 3], []), ARRAY_CONCAT([1], 'x')]`,
			want: `[[[1,2,3]]]`},
		{name: "SetUnion and SetIntersect",
			query: `SELECT VALUE [SetUnion([1, 2, 2], [2, 3]), SetIntersect([1, 2, 2, 4], [4, 2])]`,
			want:  `[[[1,2,3],[2,4]]]`},
		{name: "documented CHOOSE example", query: `SELECT VALUE {index0: CHOOSE(0, "abc", 1, true, [1]),
			index1: CHOOSE(1, "abc", 1, true, [1]), index2: CHOOSE(2, "abc", 1, true, [1]),
			index3: CHOOSE(3, "abc", 1, true, [1]), index4: CHOOSE(4, "abc", 1, true, [1]),
			index5: CHOOSE(5, "abc", 1, true, [1]), skipped: CHOOSE(2, c.missing, "b")} FROM c WHERE c.id = '1'`,
			want: `[{"index1":"abc","index2":1,"index3":true,"index4":[1],"skipped":"b"}]`},
		{name: "ObjectToArray", query: `SELECT VALUE [ObjectToArray({"b": 2, "a": [1]}),
			ObjectToArray({"x": 1}, "name"), ObjectToArray({"x": 1}, "key", "value"), ObjectToArray([1])]`,
			want: `[[[{"k":"a","v":[1]},{"k":"b","v":2}],[{"name":"x","v":1}],[{"key":"x","value":1}]]]`},
		{name: "StringJoin and StringSplit", query: `SELECT VALUE [StringJoin(["a", "b", "c"], "-"),
			StringJoin([], ","), StringJoin(["a", 1], ","), StringSplit("a,b,,c", ","), StringSplit("abc", "")]`,
			want: `[["a-b-c","",["a","b","","c"]]]`},
		{name: "IIF", query: `SELECT VALUE [IIF(true, 'y', 'n'), IIF(1, 'y', 'n'), IIF(false, 'y', 'n'),
			IIF(c.missing, 'y', 'n')] FROM c WHERE c.id = '1'`, want: `[["y","n","n","n"]]`},
		{name: "an undefined argument makes a function undefined",
			query: `SELECT VALUE [ARRAY_CONTAINS(c.tags, c.missing), CONCAT(c.name, c.missing), LENGTH(c.missing),
				ARRAY_LENGTH(c.missing), IS_DEFINED(c.missing)] FROM c WHERE c.id = '1'`, want: `[[false]]`},
	})
}

func TestCurrentTimeIsFixedPerBind(t *testing.T) {
	t.Parallel()
	q, err := Parse("SELECT VALUE [GetCurrentTimestamp(), GetCurrentDateTime(), GetCurrentTicks()] FROM c")
	require.NoError(t, err)
	before := time.Now()
	b, err := q.Bind(nil)
	require.NoError(t, err)
	rows, err := b.Execute(func(yield func(any) bool) { _ = yield(map[string]any{}) && yield(map[string]any{}) })
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, rows[0], rows[1], "every row sees the same instant")
	first := rows[0].([]any)
	ms := first[0].(float64)
	require.InDelta(t, float64(before.UnixMilli()), ms, 60_000)
	parsed, err := time.Parse(time.RFC3339Nano, first[1].(string))
	require.NoError(t, err)
	require.Equal(t, int64(ms), parsed.UnixMilli())
	require.InDelta(t, ms*10_000+621355968000000000, first[2].(float64), 10_000)
}

func TestDateTimeFunctions(t *testing.T) {
	t.Parallel()
	runCases(t, nil, []queryCase{
		{name: "DateTimeAdd", query: `SELECT VALUE [
			DateTimeAdd("hh", 1, "2024-01-31T23:30:00.0000000Z"),
			DateTimeAdd("month", 1, "2024-01-31T10:00:00Z"),
			DateTimeAdd("yyyy", -1, "2024-02-29T00:00:00Z"),
			DateTimeAdd("ms", 1500, "2024-01-01T00:00:00.5Z"),
			DateTimeAdd("dd", 1, "2024-01-01"),
			DateTimeAdd("fortnight", 1, "2024-01-01T00:00:00Z")]`,
			want: `[["2024-02-01T00:30:00.0000000Z","2024-02-29T10:00:00.0000000Z",
				"2023-02-28T00:00:00.0000000Z","2024-01-01T00:00:02.0000000Z"]]`},
		{name: "DateTimeDiff counts boundaries", query: `SELECT VALUE [
			DateTimeDiff("yy", "2023-12-31T23:59:59Z", "2024-01-01T00:00:00Z"),
			DateTimeDiff("month", "2024-01-31T00:00:00Z", "2024-03-01T00:00:00Z"),
			DateTimeDiff("day", "2024-01-01T23:00:00Z", "2024-01-02T01:00:00Z"),
			DateTimeDiff("hour", "2024-01-01T03:00:00Z", "2024-01-01T01:59:00Z"),
			DateTimeDiff("second", "2024-01-01T00:00:00.9Z", "2024-01-01T00:00:01.1Z")]`,
			want: `[[1,2,1,-2,1]]`},
		{name: "DateTimePart", query: `SELECT VALUE [DateTimePart("year", "2024-05-06T07:08:09.1234567Z"),
			DateTimePart("m", "2024-05-06T07:08:09.1234567Z"), DateTimePart("d", "2024-05-06T07:08:09.1234567Z"),
			DateTimePart("hh", "2024-05-06T07:08:09.1234567Z"), DateTimePart("mi", "2024-05-06T07:08:09.1234567Z"),
			DateTimePart("ss", "2024-05-06T07:08:09.1234567Z"), DateTimePart("ms", "2024-05-06T07:08:09.1234567Z"),
			DateTimePart("mcs", "2024-05-06T07:08:09.1234567Z"), DateTimePart("ns", "2024-05-06T07:08:09.1234567Z")]`,
			want: `[[2024,5,6,7,8,9,123,123456,123456700]]`},
		{name: "DateTimeFromParts", query: `SELECT VALUE [DateTimeFromParts(2024, 2, 29),
			DateTimeFromParts(2024, 2, 29, 13, 14, 15, 1234567), DateTimeFromParts(2023, 2, 29),
			DateTimeFromParts(2024, 13, 1)]`,
			want: `[["2024-02-29T00:00:00.0000000Z","2024-02-29T13:14:15.1234567Z"]]`},
		{name: "DateTimeBin", query: `SELECT VALUE [
			DateTimeBin("2021-01-08T18:35:00.0000000Z", "dd"),
			DateTimeBin("2021-01-08T18:35:00.0000000Z", "hh", 4),
			DateTimeBin("2021-01-08T18:35:00.0000000Z", "mi", 15),
			DateTimeBin("2021-01-08T18:35:00.0000000Z", "dd", 7, "2021-01-04T00:00:00Z"),
			DateTimeBin("1969-12-31T23:59:59Z", "ss", 10),
			DateTimeBin("2021-01-08T18:35:00Z", "mm"),
			DateTimeBin("2021-01-08T18:35:00Z", "hh", 0),
			DateTimeBin("2021-01-08T18:35:00Z", "hh", 1, "1600-01-01T00:00:00Z")]`,
			want: `[["2021-01-08T00:00:00.0000000Z","2021-01-08T16:00:00.0000000Z",
				"2021-01-08T18:30:00.0000000Z","2021-01-04T00:00:00.0000000Z","1969-12-31T23:59:50.0000000Z"]]`},
		{name: "ticks and timestamps round-trip", query: `SELECT VALUE [
			DateTimeToTimestamp("1970-01-01T00:00:01.5Z"), TimestampToDateTime(1500),
			DateTimeToTicks("0001-01-01T00:00:00Z"), TicksToDateTime(621355968000000000),
			TicksToDateTime(DateTimeToTicks("2024-01-01T00:00:00Z")), DateTimeToTimestamp("not a date")]`,
			want: `[[1500,"1970-01-01T00:00:01.5000000Z",0,"1970-01-01T00:00:00.0000000Z",
				"2024-01-01T00:00:00.0000000Z"]]`},
	})
}
