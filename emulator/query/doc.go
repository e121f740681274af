// Package query parses and evaluates the Azure Cosmos DB for NoSQL query dialect over JSON
// documents. It is pure Go with no HTTP: the emulator core hands it the documents of the
// partitions in scope and pages through the rows it returns.
//
// It owns the lexer, the recursive-descent parser, name resolution, parameter binding and
// the evaluator (FROM, JOIN, WHERE, GROUP BY, aggregates, SELECT, DISTINCT, ORDER BY,
// OFFSET/LIMIT, TOP). It does not own storage, partition routing, paging, continuation
// tokens, request charges or the HTTP error mapping; an *Error from this package becomes
// a 400 Bad Request in the core.
//
// # Use
//
//	q, err := query.Parse(text)                 // once per query text; safe to cache and share
//	b, err := q.Bind(params)                    // once per request
//	rows, err := b.Execute(slices.Values(docs)) // the whole pipeline
//
// Documents must be what encoding/json decodes into any (map[string]any, []any, float64,
// string, bool, nil); decode without UseNumber, because any other Go type (json.Number,
// int) is not a JSON value to the evaluator and every operation on it is undefined. Rows
// marshal with encoding/json to what Cosmos DB returns. When [Bound.Streamable] reports
// true, [Bound.Apply] yields each document's rows on its own, in document order, so a
// pager can stop early; [Bound.Top] then bounds the total. Parse, Bind, Execute and Apply
// never panic on any input (fuzzed); every syntax, binding or runtime problem is an
// [*Error] naming the construct and, for syntax, its byte offset.
// [Bound.ExecuteContext] stops once its context is done, and one call enumerates at
// most [MaxRows] FROM/JOIN rows, so a runaway cross product fails instead of hanging.
//
// # Grammar
//
//	SELECT [DISTINCT] [TOP n|@p] (* | VALUE expr | expr [[AS] name], ...)
//	[FROM source [JOIN source]...] [WHERE expr] [GROUP BY expr, ...]
//	[ORDER BY expr [ASC|DESC], ...] [OFFSET n|@p LIMIT n|@p]
//
//	source: name[.prop|["prop"]|[n]]... [[AS] alias] | alias IN name.path | (SELECT ...) [AS] alias
//
// The first FROM source reads the container under any name (FROM c, FROM root r,
// FROM Families.children ch); JOIN sources and subqueries read aliases in scope. An
// "alias IN path" source yields one row per array element; a plain path binds the value
// once; either yields nothing when the value is undefined. JOINs form the cross product.
//
// Expressions, loosest first: cond ? a : b; a ?? b; OR; AND; x [NOT] IN (list),
// x [NOT] LIKE p [ESCAPE 'c'], x [NOT] BETWEEN lo AND hi; || (string concatenation);
// | ^ &; = != <>; < <= > >=; << >> >>>; + -; * / %; unary - + ~ NOT; then .prop,
// ["prop"] and [index]. As in the service's own grammar, NOT is a unary operator that
// binds tightly: NOT a = b means (NOT a) = b. Primaries are literals (numbers, 'strings'
// or "strings" with JSON escapes, true, false, null, undefined; the four words are
// lowercase only), @parameters, [array] and {"object": ...} constructors (keys may be bare
// identifiers), (expr), function calls, and subqueries: EXISTS(SELECT ...),
// ARRAY(SELECT ...) and scalar (SELECT ...), which may reference the enclosing aliases.
// Keywords are case-insensitive; identifiers and property names are case-sensitive;
// function names are case-insensitive. "--" starts a comment that runs to the line end.
//
// # Semantics
//
// Undefined is not null. A missing property, an index out of range, or an operator or
// function applied to the wrong types yields undefined; undefined properties are omitted
// from projected objects, undefined elements are skipped in array constructors, and
// SELECT VALUE of undefined yields no row. WHERE keeps a row only when the condition is
// exactly true. Comparisons between different types, and any comparison with undefined,
// are undefined, so "c.age > 20" silently skips documents whose age is a string. '='
// compares arrays and objects deeply; '!=' and ordering operators on arrays or objects
// are undefined. AND and OR are three-valued (false AND undefined is false, true OR
// undefined is true). Arithmetic needs numbers and yields undefined for non-finite
// results (1/0). A function with an undefined argument yields undefined without being
// called, except the IS_* type checks, IIF and CHOOSE.
//
// ORDER BY items must be document paths (c.name, c.a[0].b, or a path of a JOIN alias),
// as the service requires; computed expressions are refused. ORDER BY sorts across types
// as undefined < null < false < true < numbers < strings < arrays < objects; documents
// lacking the key are kept and sort first ascending. Ties keep document order.
//
// Aggregates: COUNT counts defined values (COUNT(1) counts rows); SUM and AVG skip
// undefined and are undefined if any value is not a number; SUM of nothing is 0; MIN and
// MAX use the type order above and are undefined over arrays or objects; AVG, MIN and
// MAX of nothing are undefined. Without GROUP BY an aggregate query yields exactly one
// row; GROUP BY yields one row per distinct key tuple, and a missing key forms its own
// group. Unnamed projections are named $1, $2, ... in order.
//
// # Functions
//
// Type checks: IS_ARRAY, IS_BOOL, IS_DEFINED, IS_FINITE_NUMBER, IS_INTEGER, IS_NULL,
// IS_NUMBER, IS_OBJECT, IS_PRIMITIVE, IS_STRING. Strings: CONCAT, CONTAINS, ENDSWITH,
// STARTSWITH, STRINGEQUALS (the last four take an optional ignore-case boolean),
// INDEX_OF, LEFT, RIGHT, LENGTH, LOWER, UPPER, LTRIM, RTRIM, TRIM, REPLACE, REPLICATE,
// REVERSE, SUBSTRING, TOSTRING, STRINGTOARRAY, STRINGTOBOOLEAN, STRINGTONULL,
// STRINGTONUMBER, STRINGTOOBJECT, STRINGJOIN, STRINGSPLIT, REGEXMATCH (modifiers i, m,
// s). Math: ABS, ACOS, ASIN, ATAN, ATN2, CEILING, COS, COT, DEGREES, EXP, FLOOR, LOG
// (optional base), LOG10, NUMBERBIN, PI, POWER, RADIANS, ROUND, SIGN, SIN, SQRT, SQUARE,
// TAN, TRUNC, and the integer family INTADD, INTSUB, INTMUL, INTDIV, INTMOD, INTBITAND,
// INTBITOR, INTBITXOR, INTBITNOT, INTBITLEFTSHIFT, INTBITRIGHTSHIFT. Date-time (ISO 8601
// UTC strings such as 2024-05-06T07:08:09.1234567Z): DATETIMEADD, DATETIMEDIFF,
// DATETIMEPART, DATETIMEFROMPARTS, DATETIMEBIN, DATETIMETOTICKS, DATETIMETOTIMESTAMP,
// TICKSTODATETIME, TIMESTAMPTODATETIME. Arrays: ARRAY_CONCAT, ARRAY_CONTAINS (optional
// partial-match boolean), ARRAY_CONTAINS_ANY, ARRAY_CONTAINS_ALL, ARRAY_LENGTH,
// ARRAY_SLICE, SETINTERSECT, SETUNION, OBJECTTOARRAY. Other: IIF, CHOOSE,
// GETCURRENTDATETIME, GETCURRENTTIMESTAMP, GETCURRENTTICKS (and their STATIC forms; one
// instant per Bind). Aggregates: COUNT, SUM, MIN, MAX, AVG. [SupportedFunctions] lists
// them.
//
// # Known gaps
//
// Each gap fails with an *Error that names it, never silently; tests pin each message.
//
//	gap                                                  today
//	user-defined functions (udf.name)                    parse error
//	spatial (ST_*), full-text and vector search, RRF,    parse error "not supported by this emulator"
//	  DOCUMENTID, RAND
//	ORDER BY RANK                                        parse error
//	ALL/FIRST/LAST subqueries, IN (SELECT ...)           parse error
//	REGEXMATCH modifier x                                bind or runtime error
//
// Differences that do not fail:
//
//   - Projected objects are Go maps, so encoding/json writes their properties sorted by
//     name, not in select-list order. JSON consumers are unaffected, and azcosmos
//     re-marshals every row anyway.
//   - Numbers are float64: integers beyond 2^53 lose precision (the service keeps int64);
//     this includes .NET ticks, which DateTimeToTicks returns to about 13 microseconds.
//   - String order and LENGTH, INDEX_OF, SUBSTRING, LEFT, RIGHT count Unicode code points
//     and compare by code point; the service uses UTF-16. They differ only outside the
//     Basic Multilingual Plane.
//   - The service rejects some queries this package runs: cross-partition ORDER BY or
//     aggregates it cannot serve, ORDER BY without a matching composite index, queries
//     over its size and complexity limits, keywords used as property names after a dot
//     (c.value), and a select item aliased without AS. This package runs them.
//   - A scalar subquery returning several rows yields the first one.
//   - OBJECTTOARRAY lists properties by name, not in document order.
//   - RU charges, index use and query metrics are the core's business, not computed here.
package query
