package query

import "strings"

func (p *parser) parseExpr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.parseTernary()
}

func (p *parser) parseTernary() (expr, error) {
	cond, err := p.parseCoalesce()
	if err != nil || !p.acceptOp("?") {
		return cond, err
	}
	then, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp(":", "in the conditional expression (cond ? a : b)"); err != nil {
		return nil, err
	}
	els, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	return &ternaryExpr{cond: cond, then: then, els: els}, nil
}

func (p *parser) parseCoalesce() (expr, error) {
	l, err := p.parseOr()
	if err != nil || !p.acceptOp("??") {
		return l, err
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	r, err := p.parseCoalesce()
	if err != nil {
		return nil, err
	}
	return &coalesceExpr{l: l, r: r}, nil
}

func (p *parser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	for err == nil && p.acceptKeyword("OR") {
		var r expr
		if r, err = p.parseAnd(); err == nil {
			l = &orExpr{l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) parseAnd() (expr, error) {
	l, err := p.parsePredicate()
	for err == nil && p.acceptKeyword("AND") {
		var r expr
		if r, err = p.parsePredicate(); err == nil {
			l = &andExpr{l: l, r: r}
		}
	}
	return l, err
}

// parsePredicate parses IN, LIKE and BETWEEN, each optionally negated with NOT.
func (p *parser) parsePredicate() (expr, error) {
	x, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	not := false
	if p.isKeyword("NOT") {
		if n := p.toks[p.i+1]; n.kind == tokKeyword && (n.kw == "IN" || n.kw == "LIKE" ||
			n.kw == "BETWEEN") {
			p.i++
			not = true
		}
	}
	switch {
	case p.acceptKeyword("IN"):
		return p.parseIn(x, not)
	case p.acceptKeyword("LIKE"):
		return p.parseLike(x, not)
	case p.acceptKeyword("BETWEEN"):
		return p.parseBetween(x, not)
	}
	return x, nil
}

func (p *parser) parseIn(x expr, not bool) (expr, error) {
	if err := p.expectOp("(", "after IN"); err != nil {
		return nil, err
	}
	if p.isKeyword("SELECT") {
		return nil, &Error{Pos: p.peek().pos, Msg: "IN (SELECT ...) is not supported; use " +
			"EXISTS or ARRAY_CONTAINS(ARRAY(SELECT ...), x)"}
	}
	list, err := p.parseExprList()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp(")", "to close the IN list"); err != nil {
		return nil, err
	}
	in := &inExpr{x: x, list: list, not: not, idx: len(p.ins)}
	p.ins = append(p.ins, in)
	return in, nil
}

func (p *parser) parseLike(x expr, not bool) (expr, error) {
	pattern, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	like := &likeExpr{x: x, pattern: pattern, not: not, idx: len(p.likes)}
	if p.acceptKeyword("ESCAPE") {
		t := p.next()
		if t.kind != tokString || len([]rune(t.text)) != 1 {
			return nil, &Error{Pos: t.pos, Msg: "ESCAPE takes a string literal of exactly one character"}
		}
		like.escape = t.text
	}
	p.likes = append(p.likes, like)
	return like, nil
}

func (p *parser) parseBetween(x expr, not bool) (expr, error) {
	lo, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	if err := p.expectKeyword("AND", "in BETWEEN low AND high"); err != nil {
		return nil, err
	}
	hi, err := p.parseBinary(0)
	if err != nil {
		return nil, err
	}
	return &betweenExpr{x: x, lo: lo, hi: hi, not: not}, nil
}

// binaryLevels lists the binary operators from the loosest to the tightest binding.
var binaryLevels = []map[string]opCode{
	{"||": opConcat},
	{"|": opBitOr},
	{"^": opBitXor},
	{"&": opBitAnd},
	{"=": opEq, "!=": opNe, "<>": opNe},
	{"<": opLt, "<=": opLe, ">": opGt, ">=": opGe},
	{"<<": opShl, ">>": opShr, ">>>": opShrZero},
	{"+": opAdd, "-": opSub},
	{"*": opMul, "/": opDiv, "%": opMod},
}

func (p *parser) parseBinary(level int) (expr, error) {
	if level == len(binaryLevels) {
		return p.parseUnary()
	}
	l, err := p.parseBinary(level + 1)
	for err == nil {
		t := p.peek()
		op, ok := binaryLevels[level][t.text]
		if t.kind != tokOp || !ok {
			break
		}
		p.i++
		var r expr
		if r, err = p.parseBinary(level + 1); err == nil {
			l = &binary{op: op, l: l, r: r}
		}
	}
	return l, err
}

func (p *parser) parseUnary() (expr, error) {
	t := p.peek()
	op := ""
	switch {
	case t.kind == tokOp && (t.text == "-" || t.text == "+" || t.text == "~"):
		op = t.text
	case t.kind == tokKeyword && t.kw == "NOT":
		op = "NOT"
	default:
		return p.parsePostfix()
	}
	p.i++
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if lit, ok := x.(*literal); ok && op == "-" {
		if f, isNum := lit.val.(float64); isNum {
			return &literal{val: -f}, nil
		}
	}
	return &unary{op: op, x: x}, nil
}

func (p *parser) parsePostfix() (expr, error) {
	x, err := p.parsePrimary()
	for err == nil {
		switch {
		case p.acceptOp("."):
			t := p.next()
			if t.kind != tokIdent && t.kind != tokKeyword {
				return nil, &Error{Pos: t.pos, Msg: "expected a property name after '.', found " +
					describe(t)}
			}
			x = &member{obj: x, name: t.text}
		case p.acceptOp("["):
			x, err = p.parseIndex(x)
		default:
			return x, nil
		}
	}
	return nil, err
}

func (p *parser) parseIndex(obj expr) (expr, error) {
	idx, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp("]", "to close the index"); err != nil {
		return nil, err
	}
	if lit, ok := idx.(*literal); ok {
		if name, isStr := lit.val.(string); isStr {
			return &member{obj: obj, name: name}, nil
		}
	}
	return &indexer{obj: obj, index: idx}, nil
}

func (p *parser) parsePrimary() (expr, error) {
	t := p.next()
	switch t.kind {
	case tokNumber:
		return &literal{val: t.num}, nil
	case tokString:
		return &literal{val: t.text}, nil
	case tokParam:
		return p.newParam(t), nil
	case tokIdent:
		return p.parseIdentifier(t)
	case tokKeyword:
		return p.parseKeywordPrimary(t)
	case tokOp:
		return p.parseOpPrimary(t)
	}
	return nil, &Error{Pos: t.pos, Msg: "expected an expression, found " + describe(t)}
}

func (p *parser) parseKeywordPrimary(t token) (expr, error) {
	kinds := map[string]subKind{"EXISTS": subExists, "ARRAY": subArray}
	kind, ok := kinds[t.kw]
	if !ok {
		return nil, &Error{Pos: t.pos, Msg: "expected an expression, found " + describe(t)}
	}
	if err := p.expectOp("(", "after "+t.kw); err != nil {
		return nil, err
	}
	sub, err := p.parseSelect()
	if err != nil {
		return nil, err
	}
	if err := p.expectOp(")", "to close the "+t.kw+" subquery"); err != nil {
		return nil, err
	}
	return &subqueryExpr{kind: kind, sel: sub, pos: t.pos}, nil
}

func (p *parser) parseOpPrimary(t token) (expr, error) {
	switch t.text {
	case "(":
		return p.parseParenthesized(t)
	case "[":
		return p.parseArrayCons()
	case "{":
		return p.parseObjectCons()
	}
	return nil, &Error{Pos: t.pos, Msg: "expected an expression, found " + describe(t)}
}

func (p *parser) parseParenthesized(t token) (expr, error) {
	if p.isKeyword("SELECT") {
		sub, err := p.parseSelect()
		if err != nil {
			return nil, err
		}
		return &subqueryExpr{kind: subScalar, sel: sub, pos: t.pos}, p.expectOp(")",
			"to close the subquery")
	}
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	return e, p.expectOp(")", "to close the parenthesis")
}

func (p *parser) parseArrayCons() (expr, error) {
	arr := &arrayCons{}
	if p.acceptOp("]") {
		return arr, nil
	}
	list, err := p.parseExprList()
	if err != nil {
		return nil, err
	}
	arr.items = list
	return arr, p.expectOp("]", "to close the array")
}

func (p *parser) parseObjectCons() (expr, error) {
	obj := &objectCons{}
	if p.acceptOp("}") {
		return obj, nil
	}
	seen := map[string]bool{}
	for {
		t := p.next()
		if t.kind != tokString && t.kind != tokIdent && t.kind != tokKeyword {
			return nil, &Error{Pos: t.pos, Msg: "expected a property name in the object, found " +
				describe(t)}
		}
		if seen[t.text] {
			return nil, &Error{Pos: t.pos, Msg: "property " + quote(t.text) + " appears twice in the object"}
		}
		seen[t.text] = true
		if err := p.expectOp(":", "after the property name"); err != nil {
			return nil, err
		}
		v, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		obj.keys, obj.vals = append(obj.keys, t.text), append(obj.vals, v)
		if !p.acceptOp(",") {
			return obj, p.expectOp("}", "to close the object")
		}
	}
}

// parseIdentifier parses a literal word, a function call or a variable reference.
func (p *parser) parseIdentifier(t token) (expr, error) {
	switch t.text {
	case "true":
		return &literal{val: true}, nil
	case "false":
		return &literal{val: false}, nil
	case "null":
		return &literal{val: nil}, nil
	case "undefined":
		return &literal{val: undefined}, nil
	case "udf":
		if p.isOp(".") {
			return nil, &Error{Pos: t.pos, Msg: "user-defined functions (udf.name) are not supported"}
		}
	}
	if !p.isOp("(") {
		return &varRef{name: t.text, slot: -1, pos: t.pos}, nil
	}
	if n := p.toks[p.i+1]; n.kind == tokKeyword && n.kw == "SELECT" {
		return nil, &Error{Pos: t.pos, Msg: strings.ToUpper(t.text) + "(SELECT ...) subqueries are not " +
			"supported; EXISTS, ARRAY and scalar (SELECT ...) subqueries are"}
	}
	p.i++
	if p.isOp("*") {
		return nil, &Error{Pos: p.peek().pos, Msg: "'*' is not a function argument; write " +
			strings.ToUpper(t.text) + "(1) to count rows"}
	}
	var args []expr
	if !p.acceptOp(")") {
		var err error
		if args, err = p.parseExprList(); err != nil {
			return nil, err
		}
		if err := p.expectOp(")", "to close the arguments of "+t.text); err != nil {
			return nil, err
		}
	}
	return p.newCall(t, args)
}

func (p *parser) newCall(t token, args []expr) (expr, error) {
	upper := strings.ToUpper(t.text)
	if kind, ok := aggNames[upper]; ok {
		if len(args) != 1 {
			return nil, &Error{Pos: t.pos, Msg: upper + " takes exactly one argument"}
		}
		return &aggExpr{kind: kind, name: upper, arg: args[0], pos: t.pos}, nil
	}
	fn, err := lookupFunction(upper, len(args), t.pos)
	if err != nil {
		return nil, err
	}
	call := &callExpr{name: t.text, fn: fn, args: args, idx: -1, pos: t.pos}
	if fn.usesRegex {
		call.idx = len(p.regexes)
		p.regexes = append(p.regexes, call)
	}
	return call, nil
}

func quote(s string) string { return "'" + s + "'" }
