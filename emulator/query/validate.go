package query

// validateSelect checks the rules Cosmos DB enforces between clauses, once names are
// resolved.
func validateSelect(s *selectStmt) error {
	checks := []func(*selectStmt) error{
		checkStar, checkItemNames, checkGroupBy, checkAggregateMix, checkOrderBy,
	}
	for _, check := range checks {
		if err := check(s); err != nil {
			return err
		}
	}
	return nil
}

func checkStar(s *selectStmt) error {
	if !s.star {
		return nil
	}
	switch {
	case len(s.sources) == 0:
		return &Error{Pos: s.pos, Msg: "SELECT * requires a FROM clause"}
	case len(s.sources) > 1:
		return &Error{Pos: s.pos, Msg: "SELECT * is only valid with a single input set; " +
			"list the properties to project when using JOIN"}
	case len(s.groupBy) > 0:
		return &Error{Pos: s.pos, Msg: "SELECT * is not allowed with GROUP BY"}
	}
	return nil
}

func checkItemNames(s *selectStmt) error {
	seen := map[string]bool{}
	for _, it := range s.items {
		if it.alias == "" {
			continue
		}
		if seen[it.alias] {
			return &Error{Pos: it.pos, Msg: "property " + quote(it.alias) +
				" appears more than once in the select list; give one of them an alias with AS"}
		}
		seen[it.alias] = true
	}
	return nil
}

func checkGroupBy(s *selectStmt) error {
	if len(s.groupBy) == 0 {
		return nil
	}
	if len(s.orderBy) > 0 {
		return &Error{Pos: s.pos, Msg: "GROUP BY cannot be combined with ORDER BY"}
	}
	keys := map[string]bool{}
	for _, g := range s.groupBy {
		if containsSubquery(g) {
			return &Error{Pos: s.pos, Msg: "GROUP BY does not allow subqueries"}
		}
		if ungrouped(g, nil) == nil {
			return &Error{Pos: s.pos, Msg: "GROUP BY expression " + quote(g.String()) +
				" must contain at least one property reference"}
		}
		keys[g.String()] = true
	}
	for _, it := range s.items {
		if bad := ungrouped(it.expr, keys); bad != nil {
			return &Error{Pos: it.pos, Msg: "property reference " + quote(bad.String()) +
				" is invalid in the select list because it is not contained in either an " +
				"aggregate function or the GROUP BY clause"}
		}
	}
	return nil
}

// ungrouped returns a variable reference in e that is neither inside a GROUP BY
// expression nor inside an aggregate, or nil.
func ungrouped(e expr, keys map[string]bool) expr {
	if keys[e.String()] {
		return nil
	}
	switch n := e.(type) {
	case *aggExpr:
		return nil
	case *varRef:
		return n
	case *subqueryExpr:
		return n
	}
	for _, c := range children(e) {
		if bad := ungrouped(c, keys); bad != nil {
			return widen(e, bad)
		}
	}
	return nil
}

// widen reports the whole property path rather than its bare variable, as Cosmos DB does.
func widen(e, bad expr) expr {
	switch e.(type) {
	case *member, *indexer:
		return e
	}
	return bad
}

func checkAggregateMix(s *selectStmt) error {
	if len(s.aggs) == 0 || len(s.groupBy) > 0 {
		return nil
	}
	for _, it := range s.items {
		if bad := ungrouped(it.expr, nil); bad != nil {
			return &Error{Pos: it.pos, Msg: "the select list mixes aggregates with " + quote(bad.String()) +
				", which is neither an aggregate nor grouped; add GROUP BY or aggregate it"}
		}
	}
	return nil
}

// checkOrderBy enforces the service's rule that every ORDER BY item is a document path
// (an alias followed by properties or literal indexes), never a computed expression.
func checkOrderBy(s *selectStmt) error {
	for _, o := range s.orderBy {
		if !isDocumentPath(o.expr, true) {
			return &Error{Pos: s.pos, Msg: "unsupported ORDER BY item " + quote(o.expr.String()) +
				": ORDER BY items must be property paths such as c.name or c.a[0].b, not computed " +
				"expressions"}
		}
	}
	return nil
}

func isDocumentPath(e expr, top bool) bool {
	switch n := e.(type) {
	case *varRef:
		return !top
	case *member:
		return isDocumentPath(n.obj, false)
	case *indexer:
		_, literal := n.index.(*literal)
		return literal && isDocumentPath(n.obj, false)
	}
	return false
}

func containsSubquery(e expr) bool {
	switch e.(type) {
	case *subqueryExpr:
		return true
	case *aggExpr:
		return true
	}
	for _, c := range children(e) {
		if containsSubquery(c) {
			return true
		}
	}
	return false
}
