package query

import "strconv"

// scope maps the aliases visible in one SELECT to their slots.
type scope struct {
	names  map[string]int
	parent *scope
}

func (sc *scope) lookup(name string) (int, bool) {
	for ; sc != nil; sc = sc.parent {
		if slot, ok := sc.names[name]; ok {
			return slot, true
		}
	}
	return 0, false
}

// resolver binds identifiers to slots and aggregates to their SELECT. Slot 0 is the
// document; every FROM or JOIN alias, at any nesting depth, gets its own slot.
type resolver struct {
	nslots int
}

// resolveSelect resolves s. containerLevel is true when s's first source reads the
// container itself (the top-level query and FROM subqueries of such queries).
func (r *resolver) resolveSelect(s *selectStmt, parent *scope, containerLevel bool) error {
	sc := &scope{names: map[string]int{}, parent: parent}
	for i, src := range s.sources {
		if err := r.resolveSource(src, sc, containerLevel && i == 0); err != nil {
			return err
		}
	}
	if err := r.resolveClauses(s, sc); err != nil {
		return err
	}
	return validateSelect(s)
}

func (r *resolver) resolveSource(src *source, sc *scope, fromContainer bool) error {
	if src.sub != nil {
		parent := sc
		if fromContainer {
			parent = nil
		}
		if err := r.resolveSelect(src.sub, parent, fromContainer); err != nil {
			return err
		}
	} else {
		base, err := r.sourceBase(src, sc, fromContainer)
		if err != nil {
			return err
		}
		src.coll = applySteps(base, src.steps)
	}
	if _, dup := sc.names[src.alias]; dup {
		return &Error{Pos: src.aliasPos, Msg: "alias " + quote(src.alias) + " is declared twice"}
	}
	src.slot = r.nslots
	r.nslots++
	sc.names[src.alias] = src.slot
	return nil
}

func (r *resolver) sourceBase(src *source, sc *scope, fromContainer bool) (expr, error) {
	if fromContainer {
		return &varRef{name: src.root, slot: 0, pos: src.rootPos}, nil
	}
	slot, ok := sc.lookup(src.root)
	if !ok {
		return nil, unresolved(src.root, src.rootPos)
	}
	return &varRef{name: src.root, slot: slot, pos: src.rootPos}, nil
}

func applySteps(base expr, steps []pathStep) expr {
	for _, st := range steps {
		if st.isIdx {
			base = &indexer{obj: base, index: &literal{val: float64(st.index)}}
		} else {
			base = &member{obj: base, name: st.name}
		}
	}
	return base
}

func unresolved(name string, pos int) error {
	msg := "identifier " + quote(name) + " could not be resolved"
	switch name {
	case "TRUE", "True", "FALSE", "False", "NULL", "Null", "UNDEFINED", "Undefined":
		msg += " (the literals true, false, null and undefined are lowercase)"
	}
	return &Error{Pos: pos, Msg: msg}
}

func (r *resolver) resolveClauses(s *selectStmt, sc *scope) error {
	for i := range s.items {
		if err := r.resolveExpr(s.items[i].expr, sc, s, true); err != nil {
			return err
		}
	}
	var others []expr
	if s.where != nil {
		others = append(others, s.where)
	}
	others = append(others, s.groupBy...)
	for _, o := range s.orderBy {
		others = append(others, o.expr)
	}
	for _, e := range others {
		if err := r.resolveExpr(e, sc, s, false); err != nil {
			return err
		}
	}
	nameItems(s)
	return nil
}

// resolveExpr resolves identifiers in e. aggOK is true only in the select list, outside
// any other aggregate; aggregates found there are registered on s.
func (r *resolver) resolveExpr(e expr, sc *scope, s *selectStmt, aggOK bool) error {
	switch n := e.(type) {
	case *varRef:
		slot, ok := sc.lookup(n.name)
		if !ok {
			return unresolved(n.name, n.pos)
		}
		n.slot = slot
		return nil
	case *aggExpr:
		if !aggOK {
			return &Error{Pos: n.pos, Msg: "aggregate " + n.name + " is only allowed in the select " +
				"list, and not inside another aggregate"}
		}
		n.idx = len(s.aggs)
		s.aggs = append(s.aggs, n)
		return r.resolveExpr(n.arg, sc, s, false)
	case *subqueryExpr:
		return r.resolveSelect(n.sel, sc, false)
	}
	for _, c := range children(e) {
		if err := r.resolveExpr(c, sc, s, aggOK); err != nil {
			return err
		}
	}
	return nil
}

// children returns the direct sub-expressions of e, except those of aggregates and
// subqueries, which callers handle themselves.
func children(e expr) []expr {
	switch n := e.(type) {
	case *member:
		return []expr{n.obj}
	case *indexer:
		return []expr{n.obj, n.index}
	case *arrayCons:
		return n.items
	case *objectCons:
		return n.vals
	case *binary:
		return []expr{n.l, n.r}
	case *unary:
		return []expr{n.x}
	case *andExpr:
		return []expr{n.l, n.r}
	case *orExpr:
		return []expr{n.l, n.r}
	case *betweenExpr:
		return []expr{n.x, n.lo, n.hi}
	case *inExpr:
		return append([]expr{n.x}, n.list...)
	case *likeExpr:
		return []expr{n.x, n.pattern}
	case *coalesceExpr:
		return []expr{n.l, n.r}
	case *ternaryExpr:
		return []expr{n.cond, n.then, n.els}
	case *callExpr:
		return n.args
	}
	return nil
}

// nameItems gives every select item its output property name: the alias, else the last
// property name of a path, else the variable name, else $1, $2, ... in order.
func nameItems(s *selectStmt) {
	if s.value {
		return
	}
	unnamed := 0
	for i := range s.items {
		it := &s.items[i]
		if it.alias != "" {
			continue
		}
		switch n := it.expr.(type) {
		case *member:
			it.alias = n.name
		case *varRef:
			it.alias = n.name
		default:
			unnamed++
			it.alias = "$" + strconv.Itoa(unnamed)
		}
	}
}
