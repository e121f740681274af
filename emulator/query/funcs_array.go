package query

import (
	"maps"
	"math"
	"slices"
)

func init() {
	pure("ARRAY_LENGTH", 1, 1, func(a []any) any {
		arr, ok := a[0].([]any)
		if !ok {
			return undefined
		}
		return float64(len(arr))
	})
	pure("ARRAY_CONCAT", 2, -1, fnArrayConcat)
	pure("ARRAY_CONTAINS", 2, 3, fnArrayContains)
	pure("ARRAY_CONTAINS_ANY", 2, -1, func(a []any) any { return containsSome(a, false) })
	pure("ARRAY_CONTAINS_ALL", 2, -1, func(a []any) any { return containsSome(a, true) })
	pure("ARRAY_SLICE", 2, 3, fnArraySlice)
	pure("SETINTERSECT", 2, 2, func(a []any) any { return setOp(a, true) })
	pure("SETUNION", 2, 2, func(a []any) any { return setOp(a, false) })
	pure("OBJECTTOARRAY", 1, 3, fnObjectToArray)
	pure("CHOOSE", 2, -1, fnChoose)
	functions["CHOOSE"].takesUndefined = true
}

// fnChoose returns the argument at a one-based index after the index itself.
func fnChoose(a []any) any {
	f, ok := a[0].(float64)
	if !ok || f != math.Trunc(f) || f < 1 || f >= float64(len(a)) {
		return undefined
	}
	return a[int(f)]
}

// fnObjectToArray turns {"a": 1} into [{"k": "a", "v": 1}], with optional names for k
// and v. Elements follow property name order, since documents are Go maps.
func fnObjectToArray(a []any) any {
	obj, ok := a[0].(map[string]any)
	names, okNames := strArgs(a[1:])
	if !ok || !okNames {
		return undefined
	}
	keyName, valueName := "k", "v"
	if len(names) > 0 {
		keyName = names[0]
	}
	if len(names) > 1 {
		valueName = names[1]
	}
	keys := slices.Sorted(maps.Keys(obj))
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = map[string]any{keyName: k, valueName: obj[k]}
	}
	return out
}

func fnArrayConcat(a []any) any {
	var out []any
	for _, v := range a {
		arr, ok := v.([]any)
		if !ok {
			return undefined
		}
		out = append(out, arr...)
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// fnArrayContains reports whether the array holds the value; with partial set, an object
// matches any element object that has at least its properties with equal values.
func fnArrayContains(a []any) any {
	arr, ok := a[0].([]any)
	if !ok {
		return undefined
	}
	partial := false
	if len(a) > 2 {
		if partial, ok = a[2].(bool); !ok {
			return undefined
		}
	}
	for _, el := range arr {
		if matchesElement(el, a[1], partial) {
			return true
		}
	}
	return false
}

func matchesElement(el, want any, partial bool) bool {
	wantObj, isObj := want.(map[string]any)
	elObj, elIsObj := el.(map[string]any)
	if !partial || !isObj || !elIsObj {
		return deepEqual(el, want)
	}
	for k, wv := range wantObj {
		ev, ok := elObj[k]
		if !ok || !deepEqual(ev, wv) {
			return false
		}
	}
	return true
}

func containsSome(a []any, all bool) any {
	arr, ok := a[0].([]any)
	if !ok {
		return undefined
	}
	for _, want := range a[1:] {
		found := false
		for _, el := range arr {
			if deepEqual(el, want) {
				found = true
				break
			}
		}
		if found != all {
			return found
		}
	}
	return all
}

// fnArraySlice takes length elements from start; a negative start counts from the end.
func fnArraySlice(a []any) any {
	arr, ok1 := a[0].([]any)
	start, ok2 := intArg(a[1])
	if !ok1 || !ok2 {
		return undefined
	}
	n := len(arr)
	if start < 0 {
		start = max(n+start, 0)
	}
	start = min(start, n)
	end := n
	if len(a) > 2 {
		length, ok := intArg(a[2])
		if !ok {
			return undefined
		}
		end = min(start+max(length, 0), n)
	}
	return append([]any{}, arr[start:end]...)
}

// setOp returns the distinct elements of both arrays (union) or of the first that the
// second also holds (intersection), in first-seen order.
func setOp(a []any, intersect bool) any {
	x, ok1 := a[0].([]any)
	y, ok2 := a[1].([]any)
	if !ok1 || !ok2 {
		return undefined
	}
	inY := map[string]bool{}
	for _, v := range y {
		inY[string(appendKey(nil, v))] = true
	}
	seen := map[string]bool{}
	out := []any{}
	add := func(v any) {
		k := string(appendKey(nil, v))
		if !seen[k] && (!intersect || inY[k]) {
			seen[k] = true
			out = append(out, v)
		}
	}
	for _, v := range x {
		add(v)
	}
	if !intersect {
		for _, v := range y {
			add(v)
		}
	}
	return out
}
