package query

import (
	"errors"
	"fmt"
	"iter"
	"slices"
)

// MaxRows bounds the FROM/JOIN rows (the cross product of the sources, subqueries
// included) one Execute or Apply call may enumerate; past it the call fails with an
// *Error instead of running for minutes. At a few hundred nanoseconds a row it is about
// the service's 5 s per-page execution budget.
const MaxRows = 20_000_000

// rowLimit is MaxRows, lowered by tests.
var rowLimit = MaxRows

// errStop ends enumeration early once a TOP or LIMIT is satisfied.
var errStop = errors.New("enough rows")

// run executes s. docs feeds the container when s reads it (the top-level query); nested
// selects pass nil and read the aliases of the enclosing rows from e.
func (s *selectStmt) run(e *env, docs iter.Seq[any]) ([]any, error) {
	c := newCollector(s, e)
	if err := s.feed(e, docs, c.add); err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return c.finish(e)
}

// feed calls emit once per row that passes WHERE.
func (s *selectStmt) feed(e *env, docs iter.Seq[any], emit func(*env) error) error {
	if docs == nil || len(s.sources) == 0 {
		return s.enumerate(e, 0, emit)
	}
	if len(s.sources) > 0 && s.sources[0].sub != nil {
		first := s.sources[0]
		rows, err := first.sub.run(e, docs)
		if err != nil {
			return err
		}
		for _, r := range rows {
			e.vars[first.slot] = r
			if err := s.enumerate(e, 1, emit); err != nil {
				return err
			}
		}
		return nil
	}
	for doc := range docs {
		if err := e.checkContext(); err != nil {
			return err
		}
		e.vars[0] = doc
		if err := s.enumerate(e, 0, emit); err != nil {
			return err
		}
	}
	return nil
}

// enumerate binds sources i.. in nested-loop order (the JOIN cross product) and emits the
// rows WHERE accepts.
func (s *selectStmt) enumerate(e *env, i int, emit func(*env) error) error {
	if i == len(s.sources) {
		if err := e.count(); err != nil {
			return err
		}
		if s.where != nil && s.where.eval(e) != true {
			return e.err
		}
		if e.err != nil {
			return e.err
		}
		return emit(e)
	}
	src := s.sources[i]
	if src.sub != nil {
		rows, err := src.sub.run(e, nil)
		if err != nil {
			return err
		}
		return s.each(e, i, rows, emit)
	}
	v := src.coll.eval(e)
	if src.iterate {
		arr, _ := v.([]any)
		return s.each(e, i, arr, emit)
	}
	if isUndefined(v) {
		return nil
	}
	e.vars[src.slot] = v
	return s.enumerate(e, i+1, emit)
}

// count charges one enumerated row against MaxRows and, every few thousand rows, checks
// for cancellation.
func (e *env) count() error {
	e.rows++
	if e.rows > e.limit {
		return &Error{Pos: -1, Msg: fmt.Sprintf("the query enumerates more than %d FROM/JOIN rows "+
			"in one call, the emulator's limit; narrow the JOINs or the documents in scope", e.limit)}
	}
	if e.rows%4096 == 0 {
		return e.checkContext()
	}
	return nil
}

func (e *env) checkContext() error {
	if e.ctx == nil {
		return nil
	}
	if err := e.ctx.Err(); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return nil
}

func (s *selectStmt) each(e *env, i int, values []any, emit func(*env) error) error {
	slot := s.sources[i].slot
	for _, v := range values {
		e.vars[slot] = v
		if err := s.enumerate(e, i+1, emit); err != nil {
			return err
		}
	}
	return nil
}

func (s *selectStmt) grouped() bool { return len(s.groupBy) > 0 || len(s.aggs) > 0 }

// streamable reports whether each document's rows are final on their own. A query
// without FROM yields one row in all, not one per document, so it is not streamable.
func (s *selectStmt) streamable() bool {
	if s.grouped() || s.distinct || len(s.orderBy) > 0 || s.offset != nil || len(s.sources) == 0 {
		return false
	}
	// A TOP inside a FROM subquery spans documents, so it is not streamable either.
	sub := s.sources[0].sub
	return sub == nil || (sub.streamable() && sub.top == nil)
}

// project computes the select list for the current row; undefined means no row.
func (s *selectStmt) project(e *env) any {
	switch {
	case s.star:
		return e.vars[s.sources[0].slot]
	case s.value:
		return s.items[0].expr.eval(e)
	}
	out := make(map[string]any, len(s.items))
	for _, it := range s.items {
		if v := it.expr.eval(e); !isUndefined(v) {
			out[it.alias] = v
		}
	}
	return out
}

// sortedRow is a projected row with its ORDER BY keys.
type sortedRow struct {
	val  any
	keys []any
	seq  int // arrival order, the final tie-break
}

// collector accumulates the rows of one SELECT execution.
type collector struct {
	s       *selectStmt
	rows    []sortedRow
	seen    map[string]bool
	groups  map[string]*group
	order   []*group
	keyBuf  []byte
	maxRows int // rows after which enumeration may stop; -1 for all
	top     int
	offset  int
	limit   int
}

type group struct {
	vars []any
	accs []accumulator
}

func newCollector(s *selectStmt, e *env) *collector {
	c := &collector{s: s, maxRows: -1, top: -1, limit: -1}
	if s.top != nil {
		c.top = e.b.count(s.top)
	}
	if s.offset != nil {
		c.offset, c.limit = e.b.count(s.offset), e.b.count(s.limit)
	}
	if s.distinct {
		c.seen = map[string]bool{}
	}
	if s.grouped() {
		c.groups = map[string]*group{}
	}
	if !s.grouped() && len(s.orderBy) == 0 {
		c.maxRows = c.stopAfter()
	}
	return c
}

// stopAfter is how many rows window needs before it applies OFFSET/LIMIT, then TOP.
func (c *collector) stopAfter() int {
	switch {
	case c.limit >= 0 && c.top >= 0:
		return c.offset + min(c.limit, c.top)
	case c.limit >= 0:
		return c.offset + c.limit
	}
	return c.top
}

func (c *collector) add(e *env) error {
	if c.groups != nil {
		return c.addToGroup(e)
	}
	v := c.s.project(e)
	if e.err != nil {
		return e.err
	}
	if isUndefined(v) || c.duplicate(v) {
		return nil
	}
	row := sortedRow{val: v, seq: len(c.rows)}
	if len(c.s.orderBy) > 0 {
		row.keys = make([]any, len(c.s.orderBy))
		for i, o := range c.s.orderBy {
			row.keys[i] = o.expr.eval(e)
		}
	}
	c.rows = append(c.rows, row)
	if c.maxRows >= 0 && len(c.rows) >= c.maxRows {
		return errStop
	}
	return e.err
}

func (c *collector) duplicate(v any) bool {
	if c.seen == nil {
		return false
	}
	c.keyBuf = appendKey(c.keyBuf[:0], v)
	if c.seen[string(c.keyBuf)] {
		return true
	}
	c.seen[string(c.keyBuf)] = true
	return false
}

func (c *collector) addToGroup(e *env) error {
	c.keyBuf = c.keyBuf[:0]
	for _, g := range c.s.groupBy {
		c.keyBuf = append(appendKey(c.keyBuf, g.eval(e)), ';')
	}
	g, ok := c.groups[string(c.keyBuf)]
	if !ok {
		g = &group{vars: slices.Clone(e.vars), accs: make([]accumulator, len(c.s.aggs))}
		c.groups[string(c.keyBuf)] = g
		c.order = append(c.order, g)
	}
	for i, a := range c.s.aggs {
		g.accs[i].add(a.kind, a.arg.eval(e))
	}
	return e.err
}

// finish projects groups, then sorts and applies OFFSET/LIMIT and TOP.
func (c *collector) finish(e *env) ([]any, error) {
	if c.groups != nil {
		if err := c.projectGroups(e); err != nil {
			return nil, err
		}
	}
	if len(c.s.orderBy) > 0 {
		c.sortRows()
	}
	rows := c.window(c.rows)
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.val
	}
	return out, nil
}

func (c *collector) window(rows []sortedRow) []sortedRow {
	if c.limit >= 0 {
		rows = rows[min(c.offset, len(rows)):]
		rows = rows[:min(c.limit, len(rows))]
	}
	if c.top >= 0 {
		rows = rows[:min(c.top, len(rows))]
	}
	return rows
}

func (c *collector) projectGroups(e *env) error {
	if len(c.order) == 0 && len(c.s.groupBy) == 0 {
		vars := make([]any, len(e.vars))
		for i := range vars {
			vars[i] = undefined
		}
		c.order = append(c.order, &group{vars: vars, accs: make([]accumulator, len(c.s.aggs))})
	}
	savedVars, savedAggs := slices.Clone(e.vars), e.aggs
	defer func() { copy(e.vars, savedVars); e.aggs = savedAggs }()
	for _, g := range c.order {
		copy(e.vars, g.vars)
		e.aggs = make([]any, len(g.accs))
		for i := range g.accs {
			e.aggs[i] = g.accs[i].result(c.s.aggs[i].kind)
		}
		v := c.s.project(e)
		if e.err != nil {
			return e.err
		}
		if !isUndefined(v) && !c.duplicate(v) {
			c.rows = append(c.rows, sortedRow{val: v})
		}
	}
	return nil
}

// sortRows orders by the ORDER BY keys, ties in arrival order. An unstable sort with the
// arrival tie-break is stable in effect and much faster than a stable merge sort.
func (c *collector) sortRows() {
	specs := c.s.orderBy
	slices.SortFunc(c.rows, func(a, b sortedRow) int {
		for i, o := range specs {
			if r := compareTotal(a.keys[i], b.keys[i]); r != 0 {
				if o.desc {
					return -r
				}
				return r
			}
		}
		return a.seq - b.seq
	})
}

// accumulator folds one aggregate over the rows of a group.
type accumulator struct {
	count   float64
	sum     float64
	invalid bool
	best    any
}

func (a *accumulator) add(kind aggKind, v any) {
	if isUndefined(v) {
		return
	}
	switch kind {
	case aggCount:
		a.count++
	case aggSum, aggAvg:
		f, ok := v.(float64)
		if !ok {
			a.invalid = true
			return
		}
		a.sum += f
		a.count++
	case aggMin, aggMax:
		a.addExtreme(kind, v)
	}
}

func (a *accumulator) addExtreme(kind aggKind, v any) {
	if r := rankOf(v); r == rankArray || r == rankObject {
		a.invalid = true
		return
	}
	if a.best == nil && a.count == 0 {
		a.best, a.count = v, 1
		return
	}
	c := compareTotal(v, a.best)
	if (kind == aggMin && c < 0) || (kind == aggMax && c > 0) {
		a.best = v
	}
}

func (a *accumulator) result(kind aggKind) any {
	switch {
	case kind == aggCount:
		return a.count
	case a.invalid:
		return undefined
	case kind == aggSum:
		return finite(a.sum)
	case a.count == 0:
		return undefined
	case kind == aggAvg:
		return finite(a.sum / a.count)
	}
	return a.best
}
