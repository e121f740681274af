package query

import (
	"math"
	"strings"
)

// parser is a recursive-descent parser over the token slice. Precedence, lowest first:
// ternary ?:, coalesce ??, OR, AND, comparison-level predicates (IN, LIKE, BETWEEN),
// string concatenation ||, |, ^, &, equality (= != <>), relational (< <= > >=), shifts,
// additive, multiplicative, unary (- + ~ NOT), postfix (.name [index]).
type parser struct {
	toks    []token
	i       int
	params  []*paramRef
	likes   []*likeExpr
	ins     []*inExpr
	regexes []*callExpr
	counts  []*countSpec
	depth   int
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) isKeyword(kw string) bool {
	t := p.peek()
	return t.kind == tokKeyword && t.kw == kw
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == op
}

func (p *parser) acceptKeyword(kw string) bool {
	if p.isKeyword(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKeyword(kw, context string) error {
	if !p.acceptKeyword(kw) {
		return p.errExpected(kw, context)
	}
	return nil
}

func (p *parser) expectOp(op, context string) error {
	if !p.acceptOp(op) {
		return p.errExpected("'"+op+"'", context)
	}
	return nil
}

func (p *parser) errExpected(what, context string) error {
	return &Error{Pos: p.peek().pos, Msg: "expected " + what + " " + context + ", found " +
		describe(p.peek())}
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of query"
	case tokString:
		return "string literal"
	case tokKeyword:
		return "keyword " + t.kw
	}
	return "'" + t.text + "'"
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return &Error{Pos: p.peek().pos, Msg: "query nests too deeply"}
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// parseSelect parses one SELECT statement, top-level or inside parentheses.
func (p *parser) parseSelect() (*selectStmt, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	s := &selectStmt{pos: p.peek().pos}
	if err := p.expectKeyword("SELECT", "at the start of a query"); err != nil {
		return nil, err
	}
	steps := []func(*selectStmt) error{
		p.parseSelectHead, p.parseSelection, p.parseFrom, p.parseWhere, p.parseGroupBy,
		p.parseOrderBy, p.parseOffsetLimit,
	}
	for _, step := range steps {
		if err := step(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (p *parser) parseSelectHead(s *selectStmt) error {
	s.distinct = p.acceptKeyword("DISTINCT")
	if !p.acceptKeyword("TOP") {
		return nil
	}
	c, err := p.parseCount("TOP")
	s.top = c
	return err
}

// parseCount parses the number or parameter after TOP, OFFSET or LIMIT.
func (p *parser) parseCount(clause string) (*countSpec, error) {
	t := p.next()
	switch t.kind {
	case tokNumber:
		if t.num < 0 || t.num != math.Trunc(t.num) || t.num > math.MaxInt32 {
			return nil, &Error{Pos: t.pos, Msg: clause + " must be a non-negative integer, got " + t.text}
		}
		return &countSpec{n: int(t.num), pos: t.pos}, nil
	case tokParam:
		c := &countSpec{param: p.newParam(t), pos: t.pos}
		p.counts = append(p.counts, c)
		return c, nil
	}
	return nil, &Error{Pos: t.pos, Msg: "expected a number or parameter after " + clause + ", found " +
		describe(t)}
}

func (p *parser) newParam(t token) *paramRef {
	ref := &paramRef{name: t.text, pos: t.pos}
	p.params = append(p.params, ref)
	return ref
}

func (p *parser) parseSelection(s *selectStmt) error {
	if p.acceptOp("*") {
		s.star = true
		return nil
	}
	if p.acceptKeyword("VALUE") {
		pos := p.peek().pos
		e, err := p.parseExpr()
		s.value = true
		s.items = []selectItem{{expr: e, pos: pos}}
		if err == nil && (p.isOp(",") || p.isKeyword("AS")) {
			return &Error{Pos: p.peek().pos, Msg: "SELECT VALUE takes exactly one expression and no " +
				"alias; use an object such as VALUE {a: c.a, b: c.b}"}
		}
		return err
	}
	for {
		item, err := p.parseSelectItem()
		if err != nil {
			return err
		}
		s.items = append(s.items, item)
		if !p.acceptOp(",") {
			return nil
		}
	}
}

func (p *parser) parseSelectItem() (selectItem, error) {
	pos := p.peek().pos
	if p.peek().kind == tokEOF || p.isKeyword("FROM") {
		return selectItem{}, p.errExpected("an expression", "in the select list")
	}
	e, err := p.parseExpr()
	if err != nil {
		return selectItem{}, err
	}
	item := selectItem{expr: e, pos: pos}
	if p.acceptKeyword("AS") {
		t := p.next()
		if t.kind != tokIdent {
			return item, &Error{Pos: t.pos, Msg: "expected an alias after AS, found " + describe(t)}
		}
		item.alias = t.text
	} else if t := p.peek(); t.kind == tokIdent {
		p.i++
		item.alias = t.text
	}
	return item, nil
}

func (p *parser) parseWhere(s *selectStmt) error {
	if !p.acceptKeyword("WHERE") {
		return nil
	}
	e, err := p.parseExpr()
	s.where = e
	return err
}

func (p *parser) parseGroupBy(s *selectStmt) error {
	if !p.acceptKeyword("GROUP") {
		return nil
	}
	if err := p.expectKeyword("BY", "after GROUP"); err != nil {
		return err
	}
	list, err := p.parseExprList()
	s.groupBy = list
	return err
}

func (p *parser) parseOrderBy(s *selectStmt) error {
	if !p.acceptKeyword("ORDER") {
		return nil
	}
	if err := p.expectKeyword("BY", "after ORDER"); err != nil {
		return err
	}
	if t := p.peek(); t.kind == tokIdent && strings.EqualFold(t.text, "RANK") {
		return &Error{Pos: t.pos, Msg: "ORDER BY RANK (full-text and vector scoring) is not supported"}
	}
	for {
		e, err := p.parseExpr()
		if err != nil {
			return err
		}
		desc := p.acceptKeyword("DESC")
		if !desc {
			p.acceptKeyword("ASC")
		}
		s.orderBy = append(s.orderBy, orderSpec{expr: e, desc: desc})
		if !p.acceptOp(",") {
			return nil
		}
	}
}

func (p *parser) parseOffsetLimit(s *selectStmt) error {
	if p.isKeyword("LIMIT") {
		return &Error{Pos: p.peek().pos, Msg: "LIMIT requires a preceding OFFSET (OFFSET n LIMIT m)"}
	}
	if !p.acceptKeyword("OFFSET") {
		return nil
	}
	var err error
	if s.offset, err = p.parseCount("OFFSET"); err != nil {
		return err
	}
	if err := p.expectKeyword("LIMIT", "after OFFSET n (OFFSET n LIMIT m)"); err != nil {
		return err
	}
	s.limit, err = p.parseCount("LIMIT")
	return err
}

func (p *parser) parseExprList() ([]expr, error) {
	var list []expr
	for {
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if !p.acceptOp(",") {
			return list, nil
		}
	}
}
