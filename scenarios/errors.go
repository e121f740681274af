package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// FieldError is one problem in a scenario, located by file, line, column and field path.
// Line and Column are 0 when the field is not in the file (a missing required field is
// located at its parent, when known).
type FieldError struct {
	File   string
	Line   int
	Column int
	// Path is the field path, such as timeline[2].action.
	Path string
	// Msg says what is wrong and what is allowed.
	Msg string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		switch {
		case e.Line > 0 && e.Column > 0:
			fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
		case e.Line > 0:
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// allowedHint formats "; allowed: a, b, c; did you mean "b"?" for a value outside allowed.
func allowedHint(got string, allowed []string) string {
	hint := "; allowed: " + strings.Join(allowed, ", ")
	if near := Closest(got, allowed, 3); len(near) > 0 {
		hint += fmt.Sprintf("; did you mean %q?", near[0])
	}
	return hint
}

// Closest returns up to n candidates nearest to word by edit distance (ignoring case and
// the separators - and _), nearest first, leaving out those too far to be a typo.
func Closest(word string, candidates []string, n int) []string {
	type scored struct {
		name string
		dist int
	}
	norm := func(s string) string {
		return strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
	}
	w := norm(word)
	var near []scored
	for _, c := range candidates {
		cn := norm(c)
		dist := editDistance(w, cn)
		if strings.Contains(cn, w) || strings.Contains(w, cn) {
			dist = min(dist, 1)
		}
		if dist <= max(2, len(w)/3) {
			near = append(near, scored{c, dist})
		}
	}
	slices.SortStableFunc(near, func(a, b scored) int { return a.dist - b.dist })
	out := make([]string, 0, min(n, len(near)))
	for _, s := range near[:min(n, len(near))] {
		out = append(out, s.name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, counted in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
