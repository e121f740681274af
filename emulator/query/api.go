package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math"
	"regexp"
	"strings"
	"time"
)

// Param is one query parameter as sent in the request body. Name includes the leading '@'.
type Param struct {
	Name  string
	Value any
}

// OrderItem is one ORDER BY key: the expression in canonical form (for example c.ts or
// c["a b"]) and its direction.
type OrderItem struct {
	Expr       string
	Descending bool
}

// Query is a parsed query. It is immutable and safe for concurrent use; bind it once per
// request with [Query.Bind].
type Query struct {
	text       string
	sel        *selectStmt
	paramNames []string // distinct parameter names, indexed by paramRef.idx
	likes      []*likeExpr
	ins        []*inExpr
	regexes    []*callExpr
	counts     []*countSpec // TOP, OFFSET and LIMIT given as parameters
	nslots     int
}

// Bound is a query with its parameter values. It is immutable and safe for concurrent
// use; every Execute or Apply call has its own evaluation state.
type Bound struct {
	q       *Query
	params  []any
	likes   []*regexp.Regexp // per LIKE, compiled when its pattern is a literal or parameter
	regexes []*regexp.Regexp // per REGEXMATCH, likewise
	inSets  []*inSet         // per IN, when every list item is a literal or parameter
	now     time.Time        // the instant GetCurrentDateTime and friends report
}

// Parse parses a Cosmos DB NoSQL query. Errors are *Error values naming the construct
// and its byte offset; unsupported features are reported the same way, never ignored.
func Parse(text string) (*Query, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	sel, err := p.parseSelect()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		msg := "unexpected " + describe(t) + " after the end of the query"
		if t.kind == tokIdent && strings.EqualFold(t.text, "IS") {
			msg += "; Cosmos SQL has no IS [NOT] NULL, use IS_NULL(x) or IS_DEFINED(x)"
		}
		return nil, &Error{Pos: t.pos, Msg: msg}
	}
	r := &resolver{nslots: 1}
	if err := r.resolveSelect(sel, nil, true); err != nil {
		return nil, err
	}
	q := &Query{
		text: text, sel: sel, likes: p.likes, ins: p.ins, regexes: p.regexes, counts: p.counts,
		nslots: r.nslots,
	}
	q.indexParams(p.params)
	return q, nil
}

func (q *Query) indexParams(refs []*paramRef) {
	index := map[string]int{}
	for _, ref := range refs {
		i, ok := index[ref.name]
		if !ok {
			i = len(q.paramNames)
			index[ref.name] = i
			q.paramNames = append(q.paramNames, ref.name)
		}
		ref.idx = i
	}
}

// String returns the query text as parsed.
func (q *Query) String() string { return q.text }

// OrderBy returns the top-level ORDER BY keys, nil without ORDER BY.
func (q *Query) OrderBy() []OrderItem {
	var items []OrderItem
	for _, o := range q.sel.orderBy {
		items = append(items, OrderItem{Expr: o.expr.String(), Descending: o.desc})
	}
	return items
}

// Bind attaches parameter values. Every parameter the query references must be given
// (the error names the first missing one); extra parameters are ignored, as Cosmos DB
// does; a name given twice is an error. Values may be anything encoding/json accepts.
func (q *Query) Bind(params []Param) (*Bound, error) {
	given := make(map[string]any, len(params))
	for _, p := range params {
		if _, dup := given[p.Name]; dup {
			return nil, &Error{Pos: -1, Msg: "parameter " + p.Name + " is given more than once"}
		}
		given[p.Name] = p.Value
	}
	b := &Bound{q: q, params: make([]any, len(q.paramNames)), now: time.Now()}
	for i, name := range q.paramNames {
		v, ok := given[name]
		if !ok {
			return nil, &Error{Pos: -1, Msg: "parameter " + name + " is used by the query but " +
				"not given"}
		}
		norm, err := normalize(v)
		if err != nil {
			return nil, &Error{Pos: -1, Msg: fmt.Sprintf("parameter %s: %v", name, err)}
		}
		b.params[i] = norm
	}
	if err := b.checkCounts(); err != nil {
		return nil, err
	}
	if err := b.compilePatterns(); err != nil {
		return nil, err
	}
	b.buildInSets()
	return b, nil
}

// checkCounts validates the parameters given for TOP, OFFSET and LIMIT.
func (b *Bound) checkCounts() error {
	var errs []error
	for _, c := range b.q.counts {
		f, ok := b.params[c.param.idx].(float64)
		if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
			errs = append(errs, &Error{Pos: c.pos, Msg: "parameter " + c.param.name +
				" must be a non-negative integer for TOP, OFFSET or LIMIT"})
		}
	}
	return errors.Join(errs...)
}

func (b *Bound) count(c *countSpec) int {
	if c.param == nil {
		return c.n
	}
	f, _ := b.params[c.param.idx].(float64)
	return int(f)
}

// compilePatterns compiles every LIKE and REGEXMATCH pattern known before execution.
func (b *Bound) compilePatterns() error {
	b.likes = make([]*regexp.Regexp, len(b.q.likes))
	for i, l := range b.q.likes {
		pattern, ok := b.constant(l.pattern).(string)
		if !ok {
			continue
		}
		re, err := compileLike(pattern, l.escape)
		if err != nil {
			return err
		}
		b.likes[i] = re
	}
	b.regexes = make([]*regexp.Regexp, len(b.q.regexes))
	for i, call := range b.q.regexes {
		consts := make([]any, len(call.args))
		for k, a := range call.args {
			consts[k] = b.constant(a)
		}
		re, _, err := regexFromArgs(consts)
		if err != nil {
			return &Error{Pos: call.pos, Msg: err.Error()}
		}
		b.regexes[i] = re
	}
	return nil
}

// buildInSets hashes IN lists made only of literals and parameters, so that the
// ReadMany form "c.id IN (@p0, ..., @p999)" costs one lookup per row.
func (b *Bound) buildInSets() {
	b.inSets = make([]*inSet, len(b.q.ins))
	for i, in := range b.q.ins {
		values := make([]any, len(in.list))
		for j, item := range in.list {
			if values[j] = b.constant(item); isUndefined(values[j]) {
				values = nil
				break
			}
		}
		if len(values) >= minHashedIn {
			b.inSets[i] = newInSet(values)
		}
	}
}

// constant returns the value of a literal or parameter, else undefined.
func (b *Bound) constant(e expr) any {
	switch n := e.(type) {
	case *literal:
		return n.val
	case *paramRef:
		return b.params[n.idx]
	}
	return undefined
}

// Streamable reports whether rows can be produced one document at a time with Apply,
// in document order: true when the query has a FROM clause and no ORDER BY, GROUP BY,
// aggregate, DISTINCT or OFFSET/LIMIT, and no TOP inside a FROM subquery. A top-level
// TOP keeps a query streamable; the caller stops after Top rows.
func (b *Bound) Streamable() bool { return b.q.sel.streamable() }

// Top returns the TOP count; ok is false without TOP.
func (b *Bound) Top() (n int, ok bool) {
	if b.q.sel.top == nil {
		return 0, false
	}
	return b.count(b.q.sel.top), true
}

// Apply runs FROM, JOIN, WHERE and SELECT on one document and returns its rows (zero or
// more; more with JOIN). It ignores ORDER BY, DISTINCT, OFFSET/LIMIT and TOP, which span
// documents, and fails for GROUP BY and aggregates; use Execute for those.
func (b *Bound) Apply(doc any) ([]any, error) {
	s := b.q.sel
	if s.grouped() {
		return nil, &Error{Pos: s.pos, Msg: "GROUP BY and aggregates need every document; use Execute"}
	}
	e := b.newEnv()
	var rows []any
	emit := func(e *env) error {
		if v := s.project(e); !isUndefined(v) {
			rows = append(rows, v)
		}
		return e.err
	}
	var err error
	if len(s.sources) == 0 || s.sources[0].sub == nil {
		e.vars[0] = doc
		err = s.enumerate(e, 0, emit)
	} else {
		err = s.feed(e, one(doc), emit)
	}
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// Execute runs the whole query over docs and returns its rows in order. docs yields
// documents as decoded by encoding/json into any; nil means none.
func (b *Bound) Execute(docs iter.Seq[any]) ([]any, error) {
	return b.ExecuteContext(context.Background(), docs)
}

// ExecuteContext is Execute that stops with ctx's error, wrapped, once ctx is done; it
// checks between documents and every few thousand rows.
func (b *Bound) ExecuteContext(ctx context.Context, docs iter.Seq[any]) ([]any, error) {
	if docs == nil {
		docs = func(func(any) bool) {}
	}
	e := b.newEnv()
	e.ctx = ctx
	if err := e.checkContext(); err != nil {
		return nil, err
	}
	return b.q.sel.run(e, docs)
}

func (b *Bound) newEnv() *env {
	return &env{b: b, vars: make([]any, b.q.nslots), limit: rowLimit}
}

func one(doc any) iter.Seq[any] {
	return func(yield func(any) bool) { yield(doc) }
}

// normalize converts a parameter value to the types encoding/json decodes into.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("NaN and infinities are not JSON numbers")
		}
		return x, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case json.Number:
		return x.Float64()
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("not representable as JSON: %w", err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("not representable as JSON: %w", err)
	}
	return out, nil
}

// PlanFeatures lists the top-level features that need a client-side query plan when a
// query spans several physical partitions: "TOP", "DISTINCT", "GROUP BY", "aggregate",
// "ORDER BY" and "OFFSET LIMIT", in that order. The real gateway refuses such queries
// (400, substatus 1004) from SDKs that send no plan, as azcosmos v1.5.0 does; the core may
// use this list to do the same. It is empty for plain filters and projections.
func (q *Query) PlanFeatures() []string {
	s := q.sel
	checks := []struct {
		name string
		used bool
	}{
		{"TOP", s.top != nil},
		{"DISTINCT", s.distinct},
		{"GROUP BY", len(s.groupBy) > 0},
		{"aggregate", len(s.aggs) > 0},
		{"ORDER BY", len(s.orderBy) > 0},
		{"OFFSET LIMIT", s.offset != nil},
	}
	var out []string
	for _, c := range checks {
		if c.used {
			out = append(out, c.name)
		}
	}
	return out
}
