package query

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"
)

// function is a built-in scalar function. impl receives evaluated arguments, undefined
// included, and returns undefined for arguments of the wrong type, as Cosmos DB does.
type function struct {
	minArgs, maxArgs int  // maxArgs -1: variadic
	usesRegex        bool // caches compiled patterns on the Bound
	// takesUndefined marks the type checks, IIF and CHOOSE; every other function yields undefined
	// without being called when an argument is undefined, as Cosmos DB documents.
	takesUndefined bool
	impl           func(e *env, n *callExpr, args []any) any
}

func (f *function) call(e *env, n *callExpr, args []any) any { return f.impl(e, n, args) }

// functions maps upper-cased names to built-ins; filled by init in the funcs_*.go files.
var functions = map[string]*function{}

func register(name string, minArgs, maxArgs int, impl func(e *env, n *callExpr, args []any) any) {
	functions[name] = &function{minArgs: minArgs, maxArgs: maxArgs, impl: impl}
}

// pure registers a function that needs neither the environment nor the call site.
func pure(name string, minArgs, maxArgs int, impl func(args []any) any) {
	register(name, minArgs, maxArgs, func(_ *env, _ *callExpr, args []any) any { return impl(args) })
}

// unsupportedFunctions are real Cosmos DB functions the emulator does not implement; they
// fail at parse time with a message saying so rather than "unknown function".
var unsupportedFunctions = []string{
	"ST_DISTANCE", "ST_WITHIN", "ST_INTERSECTS", "ST_ISVALID",
	"ST_ISVALIDDETAILED", "ST_AREA",
	"VECTORDISTANCE", "FULLTEXTCONTAINS", "FULLTEXTCONTAINSALL", "FULLTEXTCONTAINSANY",
	"FULLTEXTSCORE", "RRF", "DOCUMENTID", "RAND",
}

func lookupFunction(upper string, nargs, pos int) (*function, error) {
	fn, ok := functions[upper]
	if !ok {
		for _, name := range unsupportedFunctions {
			if name == upper {
				return nil, &Error{Pos: pos, Msg: "function " + upper + " is not supported by this emulator"}
			}
		}
		return nil, &Error{Pos: pos, Msg: quote(upper) + " is not a recognized built-in function name"}
	}
	if nargs < fn.minArgs || (fn.maxArgs >= 0 && nargs > fn.maxArgs) {
		return nil, &Error{Pos: pos, Msg: upper + " takes " + arity(fn) + ", got " + itoa(nargs)}
	}
	return fn, nil
}

func arity(fn *function) string {
	switch {
	case fn.maxArgs < 0:
		return "at least " + itoa(fn.minArgs) + " arguments"
	case fn.minArgs == fn.maxArgs:
		return itoa(fn.minArgs) + " argument(s)"
	}
	return itoa(fn.minArgs) + " to " + itoa(fn.maxArgs) + " arguments"
}

func itoa(n int) string { return formatNumber(float64(n)) }

// SupportedFunctions returns the names of the built-in functions, sorted, aggregates
// included. It feeds documentation and error messages of callers.
func SupportedFunctions() []string {
	names := make([]string, 0, len(functions)+len(aggNames))
	for name := range functions {
		names = append(names, name)
	}
	for name := range aggNames {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func init() {
	typeCheck := func(name string, test func(v any) bool) {
		pure(name, 1, 1, func(a []any) any { return test(a[0]) })
		functions[name].takesUndefined = true
	}
	typeCheck("IS_DEFINED", func(v any) bool { return !isUndefined(v) })
	typeCheck("IS_NULL", func(v any) bool { return v == nil })
	typeCheck("IS_BOOL", func(v any) bool { return rankOf(v) == rankBool })
	typeCheck("IS_NUMBER", func(v any) bool { return rankOf(v) == rankNumber })
	typeCheck("IS_STRING", func(v any) bool { return rankOf(v) == rankString })
	typeCheck("IS_ARRAY", func(v any) bool { return rankOf(v) == rankArray })
	typeCheck("IS_OBJECT", func(v any) bool { return rankOf(v) == rankObject })
	typeCheck("IS_PRIMITIVE", func(v any) bool {
		r := rankOf(v)
		return r == rankNull || r == rankBool || r == rankNumber || r == rankString
	})
	typeCheck("IS_FINITE_NUMBER", func(v any) bool { return rankOf(v) == rankNumber })
	typeCheck("IS_INTEGER", func(v any) bool {
		f, ok := v.(float64)
		return ok && f == math.Trunc(f) && math.Abs(f) <= 1<<63
	})
	pure("IIF", 3, 3, func(a []any) any {
		if a[0] == true {
			return a[1]
		}
		return a[2]
	})
	functions["IIF"].takesUndefined = true
	registerClock()
}

// registerClock adds the current-time functions. All rows of one bound query see the
// same instant, as Cosmos DB evaluates them once per query.
func registerClock() {
	now := func(e *env) time.Time { return e.b.now }
	for _, suffix := range []string{"", "STATIC"} {
		register("GETCURRENTDATETIME"+suffix, 0, 0, func(e *env, _ *callExpr, _ []any) any {
			return now(e).UTC().Format(dateTimeLayout)
		})
		register("GETCURRENTTIMESTAMP"+suffix, 0, 0, func(e *env, _ *callExpr, _ []any) any {
			return float64(now(e).UnixMilli())
		})
		register("GETCURRENTTICKS"+suffix, 0, 0, func(e *env, _ *callExpr, _ []any) any {
			return float64(ticks(now(e)))
		})
	}
}

// toJSONString renders v as Cosmos DB's TOSTRING does: strings unchanged, everything
// else as JSON.
func toJSONString(v any) any {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return formatNumber(x)
	}
	if isUndefined(v) {
		return undefined
	}
	b, err := json.Marshal(v)
	if err != nil {
		return undefined
	}
	return string(b)
}

func formatNumber(f float64) string {
	b, err := json.Marshal(f)
	if err != nil {
		return "NaN"
	}
	return string(b)
}

func strArgs(args []any) ([]string, bool) {
	out := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// ignoreCase reads the optional boolean third argument of CONTAINS, STARTSWITH and the
// like; ok is false when it is present but not a boolean.
func ignoreCase(args []any, i int) (fold, ok bool) {
	if len(args) <= i {
		return false, true
	}
	b, isBool := args[i].(bool)
	return b, isBool
}

func foldCase(fold bool, ss ...string) []string {
	if fold {
		for i := range ss {
			ss[i] = strings.ToLower(ss[i])
		}
	}
	return ss
}
