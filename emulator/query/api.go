package query

import "iter"

// Param is one query parameter as sent in the request body. Name includes the leading '@'.
type Param struct {
	Name  string
	Value any
}

// OrderItem is one ORDER BY key: the expression as written and its direction.
type OrderItem struct {
	Expr       string
	Descending bool
}

// Query is a parsed query. It is immutable and safe for concurrent use.
type Query struct {
	text string
}

// Bound is a query with its parameter values. It is immutable and safe for concurrent use.
type Bound struct {
	q *Query
}

// Parse parses text. Errors are of type *Error.
func Parse(text string) (*Query, error) {
	return &Query{text: text}, nil
}

// Bind attaches parameter values to q.
func (q *Query) Bind(params []Param) (*Bound, error) {
	return &Bound{q: q}, nil
}

// OrderBy returns the ORDER BY keys, nil without ORDER BY.
func (q *Query) OrderBy() []OrderItem { return nil }

// Streamable reports whether rows can be produced one document at a time.
func (b *Bound) Streamable() bool { return true }

// Top returns the TOP limit, ok is false without TOP.
func (b *Bound) Top() (n int, ok bool) { return 0, false }

// Apply runs FROM, JOIN, WHERE and SELECT on one document.
func (b *Bound) Apply(doc any) ([]any, error) { return nil, nil }

// Execute runs the whole query over docs.
func (b *Bound) Execute(docs iter.Seq[any]) ([]any, error) { return nil, nil }
