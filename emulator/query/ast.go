package query

import "context"

// expr is a scalar expression node. eval never fails on data: type mismatches yield
// undefined, as in Cosmos DB. The rare runtime failure (an invalid regular expression held
// in a document) is recorded on env.
type expr interface {
	eval(e *env) any
	String() string
}

// env is the evaluation state of one Execute or Apply call.
type env struct {
	b     *Bound
	ctx   context.Context // nil: not cancellable
	vars  []any           // one slot per FROM/JOIN alias; slot 0 holds the current document
	aggs  []any           // aggregate results while projecting a group
	rows  int             // FROM/JOIN rows enumerated so far
	limit int             // bound on rows, MaxRows outside tests
	err   error
}

func (e *env) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

type literal struct{ val any }

type paramRef struct {
	name string
	idx  int
	pos  int
}

type varRef struct {
	name string
	slot int
	pos  int
}

// member is a property access, c.name or c["name"].
type member struct {
	obj  expr
	name string
}

// indexer is c[expr] with a non-literal or numeric index.
type indexer struct {
	obj, index expr
}

type arrayCons struct{ items []expr }

type objectCons struct {
	keys []string
	vals []expr
}

type opCode int

const (
	opAdd opCode = iota
	opSub
	opMul
	opDiv
	opMod
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opBitAnd
	opBitOr
	opBitXor
	opShl
	opShr
	opShrZero
	opConcat
)

var opText = map[opCode]string{
	opAdd: "+", opSub: "-", opMul: "*", opDiv: "/", opMod: "%", opEq: "=", opNe: "!=",
	opLt: "<", opLe: "<=", opGt: ">", opGe: ">=", opBitAnd: "&", opBitOr: "|", opBitXor: "^",
	opShl: "<<", opShr: ">>", opShrZero: ">>>", opConcat: "||",
}

type binary struct {
	op   opCode
	l, r expr
}

type unary struct {
	op string // "-", "+", "~", "NOT"
	x  expr
}

type andExpr struct{ l, r expr }

type orExpr struct{ l, r expr }

type betweenExpr struct {
	x, lo, hi expr
	not       bool
}

type inExpr struct {
	x    expr
	list []expr
	not  bool
	idx  int // index into Bound.inSets
}

type likeExpr struct {
	x, pattern expr
	escape     string // "" without ESCAPE
	not        bool
	idx        int // index into Bound.patterns
}

type coalesceExpr struct{ l, r expr }

type ternaryExpr struct{ cond, then, els expr }

type callExpr struct {
	name string // as written
	fn   *function
	args []expr
	idx  int // index into Bound.patterns for REGEXMATCH, else -1
	pos  int
}

type aggKind int

const (
	aggCount aggKind = iota
	aggSum
	aggMin
	aggMax
	aggAvg
)

var aggNames = map[string]aggKind{
	"COUNT": aggCount, "SUM": aggSum, "MIN": aggMin, "MAX": aggMax, "AVG": aggAvg,
}

type aggExpr struct {
	kind aggKind
	name string
	arg  expr
	idx  int // index into the owning select's aggregates
	pos  int
}

type subKind int

const (
	subScalar subKind = iota
	subExists
	subArray
)

type subqueryExpr struct {
	kind subKind
	sel  *selectStmt
	pos  int
}

// selectStmt is one SELECT, top-level or nested.
type selectStmt struct {
	distinct bool
	top      *countSpec
	star     bool
	value    bool
	items    []selectItem
	sources  []*source // FROM then each JOIN, in order
	where    expr
	groupBy  []expr
	orderBy  []orderSpec
	offset   *countSpec
	limit    *countSpec
	aggs     []*aggExpr
	pos      int
}

type selectItem struct {
	expr  expr
	alias string // output property name; empty with VALUE
	pos   int
}

type orderSpec struct {
	expr expr
	desc bool
}

// countSpec is a TOP, OFFSET or LIMIT count: a literal or a parameter.
type countSpec struct {
	n     int
	param *paramRef
	pos   int
}

// source is a FROM or JOIN collection bound to an alias slot.
type source struct {
	alias    string
	aliasPos int
	slot     int
	iterate  bool        // "alias IN collection": one row per array element
	root     string      // identifier the collection path starts from
	rootPos  int         // position of root
	steps    []pathStep  // path after root
	sub      *selectStmt // "(subquery) alias"
	coll     expr        // the collection as an expression, built at resolution
}

type pathStep struct {
	name  string
	index int
	isIdx bool
}
