package query

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxReplicateLength bounds REPLICATE's result, as Cosmos DB does (10,000 characters).
const maxReplicateLength = 10000

func init() {
	pure("CONCAT", 2, -1, fnConcat)
	pure("CONTAINS", 2, 3, stringPredicate(strings.Contains))
	pure("STARTSWITH", 2, 3, stringPredicate(strings.HasPrefix))
	pure("ENDSWITH", 2, 3, stringPredicate(strings.HasSuffix))
	pure("STRINGEQUALS", 2, 3, stringPredicate(func(a, b string) bool { return a == b }))
	pure("INDEX_OF", 2, 3, fnIndexOf)
	pure("LENGTH", 1, 1, stringFunc(func(s string) any { return float64(utf8.RuneCountInString(s)) }))
	pure("LOWER", 1, 1, stringFunc(func(s string) any { return strings.ToLower(s) }))
	pure("UPPER", 1, 1, stringFunc(func(s string) any { return strings.ToUpper(s) }))
	pure("TRIM", 1, 1, stringFunc(func(s string) any { return strings.TrimSpace(s) }))
	pure("LTRIM", 1, 1, stringFunc(func(s string) any { return strings.TrimLeft(s, " \t\n\r\v\f") }))
	pure("RTRIM", 1, 1, stringFunc(func(s string) any { return strings.TrimRight(s, " \t\n\r\v\f") }))
	pure("REVERSE", 1, 1, stringFunc(reverse))
	pure("LEFT", 2, 2, fnLeft)
	pure("RIGHT", 2, 2, fnRight)
	pure("SUBSTRING", 3, 3, fnSubstring)
	pure("REPLACE", 3, 3, fnReplace)
	pure("REPLICATE", 2, 2, fnReplicate)
	pure("TOSTRING", 1, 1, func(a []any) any { return toJSONString(a[0]) })
	pure("STRINGTOARRAY", 1, 1, parseAs(rankArray))
	pure("STRINGTOBOOLEAN", 1, 1, parseAs(rankBool))
	pure("STRINGTONULL", 1, 1, parseAs(rankNull))
	pure("STRINGTONUMBER", 1, 1, parseAs(rankNumber))
	pure("STRINGTOOBJECT", 1, 1, parseAs(rankObject))
	pure("STRINGJOIN", 2, 2, fnStringJoin)
	pure("STRINGSPLIT", 2, 2, fnStringSplit)
	functions["REGEXMATCH"] = &function{minArgs: 2, maxArgs: 3, usesRegex: true, impl: fnRegexMatch}
}

func stringFunc(f func(string) any) func([]any) any {
	return func(a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		return f(s)
	}
}

func stringPredicate(test func(s, sub string) bool) func([]any) any {
	return func(a []any) any {
		ss, ok := strArgs(a[:2])
		fold, okFold := ignoreCase(a, 2)
		if !ok || !okFold {
			return undefined
		}
		ss = foldCase(fold, ss...)
		return test(ss[0], ss[1])
	}
}

func fnConcat(a []any) any {
	ss, ok := strArgs(a)
	if !ok {
		return undefined
	}
	return strings.Join(ss, "")
}

// fnIndexOf returns the zero-based character offset of the first match, or -1.
func fnIndexOf(a []any) any {
	ss, ok := strArgs(a[:2])
	if !ok {
		return undefined
	}
	runes := []rune(ss[0])
	start := 0
	if len(a) > 2 {
		n, isInt := intArg(a[2])
		if !isInt {
			return undefined
		}
		start = n
	}
	if start < 0 || start > len(runes) {
		return -1.0
	}
	i := strings.Index(string(runes[start:]), ss[1])
	if i < 0 {
		return -1.0
	}
	return float64(start + utf8.RuneCountInString(string(runes[start:])[:i]))
}

func intArg(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return 0, false
	}
	f = math.Trunc(f)
	return int(math.Max(math.Min(f, math.MaxInt32), math.MinInt32)), true
}

func fnLeft(a []any) any {
	s, ok1 := a[0].(string)
	n, ok2 := intArg(a[1])
	if !ok1 || !ok2 || n < 0 {
		return undefined
	}
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func fnRight(a []any) any {
	s, ok1 := a[0].(string)
	n, ok2 := intArg(a[1])
	if !ok1 || !ok2 || n < 0 {
		return undefined
	}
	r := []rune(s)
	return string(r[len(r)-min(n, len(r)):])
}

func fnSubstring(a []any) any {
	s, ok1 := a[0].(string)
	start, ok2 := intArg(a[1])
	length, ok3 := intArg(a[2])
	if !ok1 || !ok2 || !ok3 {
		return undefined
	}
	r := []rune(s)
	start = max(start, 0)
	if start >= len(r) || length <= 0 {
		return ""
	}
	return string(r[start:min(start+length, len(r))])
}

func fnReplace(a []any) any {
	ss, ok := strArgs(a)
	if !ok {
		return undefined
	}
	if ss[1] == "" {
		return ss[0]
	}
	return strings.ReplaceAll(ss[0], ss[1], ss[2])
}

func fnReplicate(a []any) any {
	s, ok1 := a[0].(string)
	n, ok2 := intArg(a[1])
	if !ok1 || !ok2 || n < 0 || len(s)*n > maxReplicateLength {
		return undefined
	}
	return strings.Repeat(s, n)
}

func reverse(s string) any {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// parseAs decodes a JSON string and keeps the result only if it has the wanted type.
func parseAs(want rank) func([]any) any {
	return func(a []any) any {
		s, ok := a[0].(string)
		if !ok {
			return undefined
		}
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil || rankOf(v) != want {
			return undefined
		}
		return v
	}
}

func fnRegexMatch(e *env, n *callExpr, a []any) any {
	s, ok := a[0].(string)
	if !ok {
		return undefined
	}
	re := e.b.regexes[n.idx]
	if re == nil {
		compiled, ok, err := regexFromArgs(a)
		if err != nil {
			e.fail(&Error{Pos: n.pos, Msg: err.Error()})
		}
		if !ok {
			return undefined
		}
		re = compiled
	}
	return re.MatchString(s)
}

// regexFromArgs compiles the pattern and optional modifiers of REGEXMATCH(s, pattern,
// modifiers); ok is false when they are not strings, which makes the call undefined.
func regexFromArgs(args []any) (re *regexp.Regexp, ok bool, err error) {
	pattern, ok := args[1].(string)
	modifiers := ""
	if len(args) > 2 {
		m, isStr := args[2].(string)
		ok = ok && isStr
		modifiers = m
	}
	if !ok {
		return nil, false, nil
	}
	re, err = compileRegex(pattern, modifiers)
	return re, err == nil, err
}

// compileRegex compiles a REGEXMATCH pattern with its modifiers: i (ignore case),
// m (multi-line), s (dot matches newline). x (extended) is not available in Go's RE2.
func compileRegex(pattern, modifiers string) (*regexp.Regexp, error) {
	flags := ""
	for _, m := range modifiers {
		switch m {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, m) {
				flags += string(m)
			}
		case 'x':
			return nil, &Error{Pos: -1, Msg: "REGEXMATCH modifier 'x' is not supported"}
		default:
			return nil, &Error{Pos: -1, Msg: "REGEXMATCH modifier " + quote(string(m)) +
				" is invalid; allowed: i, m, s, x"}
		}
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, &Error{Pos: -1, Msg: "invalid REGEXMATCH pattern: " + err.Error()}
	}
	return re, nil
}

// compileLike turns a LIKE pattern into an anchored regular expression: % matches any
// run of characters, _ one character, [abc] / [a-c] / [^a-c] a character class, and the
// ESCAPE character makes the next character literal.
func compileLike(pattern, escape string) (*regexp.Regexp, error) {
	var sb strings.Builder
	sb.WriteString(`(?s)^`)
	esc, _ := utf8.DecodeRuneInString(escape)
	runes := []rune(pattern)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case escape != "" && r == esc:
			if i+1 >= len(runes) {
				return nil, &Error{Pos: -1, Msg: "LIKE pattern ends with its escape character"}
			}
			i++
			sb.WriteString(regexp.QuoteMeta(string(runes[i])))
		case r == '%':
			sb.WriteString(`.*`)
		case r == '_':
			sb.WriteString(`.`)
		case r == '[':
			end := likeClassEnd(runes, i)
			if end < 0 {
				sb.WriteString(`\[`)
				continue
			}
			writeLikeClass(&sb, runes[i+1:end])
			i = end
		default:
			sb.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	sb.WriteString(`$`)
	re, err := regexp.Compile(sb.String())
	if err != nil {
		return nil, &Error{Pos: -1, Msg: "invalid LIKE pattern " + quote(pattern) + ": " + err.Error()}
	}
	return re, nil
}

// likeClassEnd returns the index of the ']' closing the class opened at i, or -1.
func likeClassEnd(runes []rune, i int) int {
	j := i + 1
	if j < len(runes) && runes[j] == '^' {
		j++
	}
	if j < len(runes) && runes[j] == ']' {
		j++
	}
	for ; j < len(runes); j++ {
		if runes[j] == ']' {
			return j
		}
	}
	return -1
}

func writeLikeClass(sb *strings.Builder, body []rune) {
	sb.WriteByte('[')
	for k, r := range body {
		switch {
		case k == 0 && r == '^':
			sb.WriteByte('^')
		case r == '-' && k > 0 && k < len(body)-1:
			sb.WriteByte('-')
		case r == '\\' || r == ']' || r == '[' || r == '^' || r == '-':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte(']')
}

// fnStringJoin joins an array of strings with a separator.
func fnStringJoin(a []any) any {
	arr, ok := a[0].([]any)
	sep, okSep := a[1].(string)
	parts, okParts := strArgs(arr)
	if !ok || !okSep || !okParts {
		return undefined
	}
	return strings.Join(parts, sep)
}

// fnStringSplit splits a string on a non-empty separator.
func fnStringSplit(a []any) any {
	ss, ok := strArgs(a)
	if !ok || ss[1] == "" {
		return undefined
	}
	parts := strings.Split(ss[0], ss[1])
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}
