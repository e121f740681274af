package query

import "math"

// parseFrom parses FROM <collection> followed by any number of JOINs.
func (p *parser) parseFrom(s *selectStmt) error {
	if !p.acceptKeyword("FROM") {
		return nil
	}
	for {
		src, err := p.parseSource()
		if err != nil {
			return err
		}
		s.sources = append(s.sources, src)
		if !p.acceptKeyword("JOIN") {
			return nil
		}
	}
}

// parseSource parses "alias IN collection" or "collection [[AS] alias]".
func (p *parser) parseSource() (*source, error) {
	t := p.peek()
	if t.kind == tokIdent && p.toks[p.i+1].kind == tokKeyword && p.toks[p.i+1].kw == "IN" {
		p.i += 2
		src := &source{alias: t.text, aliasPos: t.pos, iterate: true}
		return src, p.parseCollection(src)
	}
	src := &source{}
	if err := p.parseCollection(src); err != nil {
		return nil, err
	}
	return src, p.parseSourceAlias(src)
}

func (p *parser) parseSourceAlias(src *source) error {
	explicit := p.acceptKeyword("AS")
	if t := p.peek(); t.kind == tokIdent {
		p.i++
		src.alias, src.aliasPos = t.text, t.pos
		return nil
	}
	src.aliasPos = src.rootPos
	if explicit {
		return p.errExpected("an alias", "after AS")
	}
	switch {
	case src.sub != nil:
		return p.errExpected("an alias", "after a subquery in FROM or JOIN")
	case len(src.steps) == 0:
		src.alias = src.root
	case !src.steps[len(src.steps)-1].isIdx:
		src.alias = src.steps[len(src.steps)-1].name
	default:
		return p.errExpected("an alias", "after a collection path ending in an index")
	}
	return nil
}

// parseCollection parses "(subquery)" or "identifier path".
func (p *parser) parseCollection(src *source) error {
	if p.acceptOp("(") {
		sub, err := p.parseSelect()
		if err != nil {
			return err
		}
		src.sub = sub
		return p.expectOp(")", "to close the subquery")
	}
	t := p.next()
	if t.kind != tokIdent {
		return &Error{Pos: t.pos, Msg: "expected a collection name or alias, found " + describe(t)}
	}
	src.root, src.rootPos = t.text, t.pos
	for {
		step, ok, err := p.parsePathStep()
		if err != nil || !ok {
			return err
		}
		src.steps = append(src.steps, step)
	}
}

func (p *parser) parsePathStep() (pathStep, bool, error) {
	switch {
	case p.acceptOp("."):
		t := p.next()
		if t.kind != tokIdent && t.kind != tokKeyword {
			return pathStep{}, false, &Error{Pos: t.pos, Msg: "expected a property name after '.', found " +
				describe(t)}
		}
		return pathStep{name: t.text}, true, nil
	case p.acceptOp("["):
		t := p.next()
		var step pathStep
		switch {
		case t.kind == tokString:
			step.name = t.text
		case t.kind == tokNumber && t.num >= 0 && t.num == math.Trunc(t.num) && t.num <= math.MaxInt32:
			step.index, step.isIdx = int(t.num), true
		default:
			return step, false, &Error{Pos: t.pos, Msg: "a collection path index must be a string or a " +
				"non-negative integer literal, found " + describe(t)}
		}
		return step, true, p.expectOp("]", "to close the index")
	}
	return pathStep{}, false, nil
}
