package query

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// undefinedValue is the query language's undefined: the value of a missing property or of
// an operation on the wrong types. It never appears inside arrays or objects and is never
// returned to callers.
type undefinedValue struct{}

// undefined is the single undefined value.
var undefined any = undefinedValue{}

func isUndefined(v any) bool {
	_, ok := v.(undefinedValue)
	return ok
}

// rank orders JSON types as Cosmos DB sorts them: undefined < null < boolean < number <
// string < array < object.
type rank int

const (
	rankUndefined rank = iota
	rankNull
	rankBool
	rankNumber
	rankString
	rankArray
	rankObject
)

func rankOf(v any) rank {
	switch v.(type) {
	case nil:
		return rankNull
	case bool:
		return rankBool
	case float64:
		return rankNumber
	case string:
		return rankString
	case []any:
		return rankArray
	case map[string]any:
		return rankObject
	}
	return rankUndefined
}

// compareTotal orders any two values for ORDER BY, MIN, MAX and DISTINCT: by type rank
// first, then by value. Arrays and objects compare by their canonical encoding.
func compareTotal(a, b any) int {
	// Fast paths for the common same-type keys.
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	}
	ra, rb := rankOf(a), rankOf(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch ra {
	case rankBool:
		return cmp.Compare(boolInt(a.(bool)), boolInt(b.(bool)))
	case rankNumber:
		return cmp.Compare(a.(float64), b.(float64))
	case rankString:
		return cmp.Compare(a.(string), b.(string))
	case rankArray, rankObject:
		return cmp.Compare(string(appendKey(nil, a)), string(appendKey(nil, b)))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// equalValues implements '=': ok is false (the result is undefined) when either side is
// undefined or the types differ. Arrays and objects compare deeply.
func equalValues(a, b any) (equal, ok bool) {
	ra, rb := rankOf(a), rankOf(b)
	if ra == rankUndefined || ra != rb {
		return false, false
	}
	return deepEqual(a, b), true
}

func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, deepEqual)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, found := y[k]
			if !found || !deepEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

// compareOrdered implements '<', '<=', '>' and '>=': ok is false (undefined) unless both
// sides are of the same primitive type.
func compareOrdered(a, b any) (c int, ok bool) {
	ra, rb := rankOf(a), rankOf(b)
	if ra != rb || ra == rankUndefined || ra == rankArray || ra == rankObject {
		return 0, false
	}
	return compareTotal(a, b), true
}

// appendKey appends a canonical, type-tagged encoding of v, used for DISTINCT, GROUP BY
// and for ordering arrays and objects. Equal values (deepEqual) get equal keys.
func appendKey(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, 'n')
	case bool:
		if x {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case float64:
		if x == 0 {
			x = 0 // fold -0 into 0
		}
		buf = append(buf, 'd')
		return strconv.AppendFloat(buf, x, 'g', -1, 64)
	case string:
		buf = append(buf, 's')
		return strconv.AppendQuote(buf, x)
	case []any:
		buf = append(buf, '[')
		for _, e := range x {
			buf = append(appendKey(buf, e), ',')
		}
		return append(buf, ']')
	case map[string]any:
		return appendObjectKey(buf, x)
	}
	return append(buf, 'u')
}

func appendObjectKey(buf []byte, m map[string]any) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for _, k := range keys {
		buf = strconv.AppendQuote(buf, k)
		buf = append(appendKey(append(buf, ':'), m[k]), ',')
	}
	return append(buf, '}')
}

// number returns v as a finite float64.
func number(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

// finite turns NaN and infinities, which JSON cannot carry, into undefined.
func finite(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return undefined
	}
	return f
}
