package query

import "math"

func (n *literal) eval(*env) any    { return n.val }
func (n *paramRef) eval(e *env) any { return e.b.params[n.idx] }
func (n *varRef) eval(e *env) any   { return e.vars[n.slot] }

func (n *member) eval(e *env) any {
	obj, ok := n.obj.eval(e).(map[string]any)
	if !ok {
		return undefined
	}
	v, ok := obj[n.name]
	if !ok {
		return undefined
	}
	return v
}

func (n *indexer) eval(e *env) any {
	obj := n.obj.eval(e)
	switch idx := n.index.eval(e).(type) {
	case string:
		if m, ok := obj.(map[string]any); ok {
			if v, found := m[idx]; found {
				return v
			}
		}
	case float64:
		if arr, ok := obj.([]any); ok && idx >= 0 && idx == math.Trunc(idx) && idx < float64(len(arr)) {
			return arr[int(idx)]
		}
	}
	return undefined
}

// eval of an array constructor skips undefined elements, as Cosmos DB does.
func (n *arrayCons) eval(e *env) any {
	out := make([]any, 0, len(n.items))
	for _, it := range n.items {
		if v := it.eval(e); !isUndefined(v) {
			out = append(out, v)
		}
	}
	return out
}

// eval of an object constructor omits properties whose value is undefined.
func (n *objectCons) eval(e *env) any {
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		if v := n.vals[i].eval(e); !isUndefined(v) {
			out[k] = v
		}
	}
	return out
}

func (n *unary) eval(e *env) any {
	x := n.x.eval(e)
	switch n.op {
	case "NOT":
		if b, ok := x.(bool); ok {
			return !b
		}
		return undefined
	case "-":
		if f, ok := number(x); ok {
			return -f
		}
	case "+":
		if f, ok := number(x); ok {
			return f
		}
	case "~":
		if f, ok := number(x); ok {
			return float64(^toInt32(f))
		}
	}
	return undefined
}

func (n *andExpr) eval(e *env) any {
	l := n.l.eval(e)
	if l == false {
		return false
	}
	r := n.r.eval(e)
	if r == false {
		return false
	}
	if l == true && r == true {
		return true
	}
	return undefined
}

func (n *orExpr) eval(e *env) any {
	l := n.l.eval(e)
	if l == true {
		return true
	}
	r := n.r.eval(e)
	if r == true {
		return true
	}
	if l == false && r == false {
		return false
	}
	return undefined
}

func (n *betweenExpr) eval(e *env) any {
	x := n.x.eval(e)
	lo, ok1 := compareOrdered(x, n.lo.eval(e))
	hi, ok2 := compareOrdered(x, n.hi.eval(e))
	if !ok1 || !ok2 {
		return undefined
	}
	return (lo >= 0 && hi <= 0) != n.not
}

func (n *inExpr) eval(e *env) any {
	x := n.x.eval(e)
	if isUndefined(x) {
		return undefined
	}
	if set := e.b.inSets[n.idx]; set != nil {
		return set.contains(x) != n.not
	}
	for _, it := range n.list {
		if eq, ok := equalValues(x, it.eval(e)); ok && eq {
			return !n.not
		}
	}
	return n.not
}

func (n *coalesceExpr) eval(e *env) any {
	if l := n.l.eval(e); !isUndefined(l) {
		return l
	}
	return n.r.eval(e)
}

func (n *ternaryExpr) eval(e *env) any {
	if n.cond.eval(e) == true {
		return n.then.eval(e)
	}
	return n.els.eval(e)
}

func (n *binary) eval(e *env) any {
	l, r := n.l.eval(e), n.r.eval(e)
	switch n.op {
	case opEq:
		if eq, ok := equalValues(l, r); ok {
			return eq
		}
		return undefined
	case opNe:
		return notEqual(l, r)
	case opLt, opLe, opGt, opGe:
		return relational(n.op, l, r)
	case opConcat:
		ls, ok1 := l.(string)
		rs, ok2 := r.(string)
		if ok1 && ok2 {
			return ls + rs
		}
		return undefined
	}
	return arithmetic(n.op, l, r)
}

// notEqual follows the documented rule that '!=' between objects or arrays is undefined.
func notEqual(l, r any) any {
	if rk := rankOf(l); rk == rankArray || rk == rankObject {
		return undefined
	}
	if eq, ok := equalValues(l, r); ok {
		return !eq
	}
	return undefined
}

func relational(op opCode, l, r any) any {
	c, ok := compareOrdered(l, r)
	if !ok {
		return undefined
	}
	switch op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

func arithmetic(op opCode, l, r any) any {
	a, ok1 := number(l)
	b, ok2 := number(r)
	if !ok1 || !ok2 {
		return undefined
	}
	switch op {
	case opAdd:
		return finite(a + b)
	case opSub:
		return finite(a - b)
	case opMul:
		return finite(a * b)
	case opDiv:
		return finite(a / b)
	case opMod:
		return finite(math.Mod(a, b))
	}
	return bitwise(op, a, b)
}

// bitwise follows JavaScript, as the service documents: operands become 32-bit signed
// integers, shift counts use their low five bits, and >>> yields an unsigned result.
func bitwise(op opCode, a, b float64) any {
	x, y := toInt32(a), toInt32(b)
	shift := uint32(y) & 31
	switch op {
	case opBitAnd:
		return float64(x & y)
	case opBitOr:
		return float64(x | y)
	case opBitXor:
		return float64(x ^ y)
	case opShl:
		return float64(x << shift)
	case opShr:
		return float64(x >> shift)
	}
	return float64(uint32(x) >> shift)
}

// toInt32 is JavaScript's ToInt32: truncate, wrap modulo 2^32, reinterpret as signed.
func toInt32(f float64) int32 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	m := math.Mod(math.Trunc(f), 1<<32)
	if m < 0 {
		m += 1 << 32
	}
	return int32(uint32(m))
}

// toInt64 converts an integral number to int64; non-integers are not bitwise operands.
func toInt64(v any) (int64, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func (n *likeExpr) eval(e *env) any {
	s, ok := n.x.eval(e).(string)
	if !ok {
		return undefined
	}
	re := e.b.likes[n.idx]
	if re == nil {
		pattern, isStr := n.pattern.eval(e).(string)
		if !isStr {
			return undefined
		}
		var err error
		if re, err = compileLike(pattern, n.escape); err != nil {
			e.fail(err)
			return undefined
		}
	}
	return re.MatchString(s) != n.not
}

func (n *callExpr) eval(e *env) any {
	var buf [4]any
	args := buf[:0]
	for _, a := range n.args {
		v := a.eval(e)
		if !n.fn.takesUndefined && isUndefined(v) {
			return undefined
		}
		args = append(args, v)
	}
	return n.fn.call(e, n, args)
}

func (n *aggExpr) eval(e *env) any {
	if e.aggs == nil {
		return undefined
	}
	return e.aggs[n.idx]
}

func (n *subqueryExpr) eval(e *env) any {
	rows, err := n.sel.run(e, nil)
	if err != nil {
		e.fail(err)
		return undefined
	}
	switch n.kind {
	case subExists:
		return len(rows) > 0
	case subArray:
		return rows
	}
	if len(rows) == 0 {
		return undefined
	}
	return rows[0]
}
