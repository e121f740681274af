package query

import (
	"encoding/json"
	"strconv"
	"strings"
)

// The String methods render expressions canonically. Two expressions with the same
// rendering in one scope compute the same value, which is how GROUP BY expressions are
// matched against the select list, and how OrderItem.Expr is produced.

func (n *literal) String() string {
	if isUndefined(n.val) {
		return "undefined"
	}
	b, err := json.Marshal(n.val)
	if err != nil {
		return "?"
	}
	return string(b)
}

func (n *paramRef) String() string { return n.name }
func (n *varRef) String() string   { return n.name }

func (n *member) String() string {
	if isIdentifier(n.name) {
		return n.obj.String() + "." + n.name
	}
	return n.obj.String() + "[" + strconv.Quote(n.name) + "]"
}

func (n *indexer) String() string { return n.obj.String() + "[" + n.index.String() + "]" }

func (n *arrayCons) String() string { return "[" + joinExprs(n.items) + "]" }

func (n *objectCons) String() string {
	parts := make([]string, len(n.keys))
	for i, k := range n.keys {
		parts[i] = strconv.Quote(k) + ": " + n.vals[i].String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (n *binary) String() string {
	return "(" + n.l.String() + " " + opText[n.op] + " " + n.r.String() + ")"
}

func (n *unary) String() string {
	if n.op == "NOT" {
		return "(NOT " + n.x.String() + ")"
	}
	return "(" + n.op + n.x.String() + ")"
}

func (n *andExpr) String() string { return "(" + n.l.String() + " AND " + n.r.String() + ")" }
func (n *orExpr) String() string  { return "(" + n.l.String() + " OR " + n.r.String() + ")" }

func (n *betweenExpr) String() string {
	return "(" + n.x.String() + notText(n.not) + " BETWEEN " + n.lo.String() + " AND " +
		n.hi.String() + ")"
}

func (n *inExpr) String() string {
	return "(" + n.x.String() + notText(n.not) + " IN (" + joinExprs(n.list) + "))"
}

func (n *likeExpr) String() string {
	s := "(" + n.x.String() + notText(n.not) + " LIKE " + n.pattern.String()
	if n.escape != "" {
		s += " ESCAPE " + strconv.Quote(n.escape)
	}
	return s + ")"
}

func (n *coalesceExpr) String() string { return "(" + n.l.String() + " ?? " + n.r.String() + ")" }

func (n *ternaryExpr) String() string {
	return "(" + n.cond.String() + " ? " + n.then.String() + " : " + n.els.String() + ")"
}

func (n *callExpr) String() string {
	return strings.ToUpper(n.name) + "(" + joinExprs(n.args) + ")"
}

func (n *aggExpr) String() string { return n.name + "(" + n.arg.String() + ")" }

func (n *subqueryExpr) String() string {
	switch n.kind {
	case subExists:
		return "EXISTS(...)"
	case subArray:
		return "ARRAY(...)"
	}
	return "(SELECT ...)"
}

func notText(not bool) string {
	if not {
		return " NOT"
	}
	return ""
}

func joinExprs(list []expr) string {
	parts := make([]string, len(list))
	for i, e := range list {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

func isIdentifier(s string) bool {
	return s != "" && isIdentStart(s[0]) && identEnd(s, 0) == len(s)
}
