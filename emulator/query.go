package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-load/stampede/emulator/epk"
	"github.com/stampede-load/stampede/emulator/query"
)

// Paging limits of query responses.
const (
	defaultPageItems = 100     // the service's page size when x-ms-max-item-count is absent
	maxPageItems     = 10_000  // largest x-ms-max-item-count honoured
	maxPageBytes     = 4 << 20 // the service's response page limit
	// maxPageEvaluated bounds the documents one page may evaluate; a selective query over a
	// large container returns (possibly empty) pages with a continuation instead of one
	// long request, as the service does at its 5 s per-page limit.
	maxPageEvaluated = 20_000
)

// queryRequest is the body of a query: {"query": "...", "parameters": [...]}.
type queryRequest struct {
	Query      string `json:"query"`
	Parameters []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"parameters"`
}

// preparedQuery is a parsed and bound query with its text.
type preparedQuery struct {
	text string
	q    *query.Query
	b    *query.Bound
}

// prepareQuery parses and binds the request's query.
func (rq *request) prepareQuery() (*preparedQuery, error) {
	var in queryRequest
	if err := rq.decodeBody("query", &in); err != nil {
		return nil, err
	}
	return bindQuery(in)
}

func bindQuery(in queryRequest) (*preparedQuery, error) {
	if in.Query == "" {
		return nil, badRequest("the query body has no \"query\" text")
	}
	q, err := query.Parse(in.Query)
	if err != nil {
		return nil, queryError(err)
	}
	params := make([]query.Param, len(in.Parameters))
	for i, p := range in.Parameters {
		params[i] = query.Param{Name: p.Name, Value: p.Value}
	}
	b, err := q.Bind(params)
	if err != nil {
		return nil, queryError(err)
	}
	return &preparedQuery{text: in.Query, q: q, b: b}, nil
}

// queryError turns an engine error into a 400 naming the construct.
func queryError(err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		return badRequest("query: %s", qe.Error())
	}
	return badRequest("query: %v", err)
}

// decodeDoc decodes a stored body for the query engine.
func decodeDoc(body []byte) (any, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("decode stored document: %w", err)
	}
	return v, nil
}

// encodeRow renders one result row; a row that is the input document itself (SELECT *) is
// answered with the stored bytes, which keeps property order and avoids re-encoding.
func encodeRow(row, doc any, body []byte) ([]byte, error) {
	if m, ok := row.(map[string]any); ok && body != nil {
		if d, ok := doc.(map[string]any); ok &&
			reflect.ValueOf(m).UnsafePointer() == reflect.ValueOf(d).UnsafePointer() {
			return body, nil
		}
	}
	b, err := json.Marshal(row)
	if err != nil {
		return nil, badRequest("query result cannot be encoded as JSON: %v", err)
	}
	return b, nil
}

// selectAllPattern matches queries whose rows are the documents themselves, unchanged:
// SELECT * FROM c, with an optional alias. They skip decoding and answer stored bytes.
var selectAllPattern = regexp.MustCompile(`(?i)^\s*SELECT\s+\*\s+FROM\s+[A-Za-z_][A-Za-z0-9_]*` +
	`(\s+(AS\s+)?[A-Za-z_][A-Za-z0-9_]*)?\s*$`)

// queryDocuments runs the request's query over a few metadata documents (databases,
// containers) in one page.
func (rq *request) queryDocuments(docs [][]byte) ([][]byte, error) {
	pq, err := rq.prepareQuery()
	if err != nil {
		return nil, err
	}
	b := pq.b
	decoded := make([]any, len(docs))
	for i, d := range docs {
		if decoded[i], err = decodeDoc(d); err != nil {
			return nil, err
		}
	}
	rows, err := b.Execute(func(yield func(any) bool) {
		for _, d := range decoded {
			if !yield(d) {
				return
			}
		}
	})
	if err != nil {
		return nil, queryError(err)
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		if out[i], err = encodeRow(r, nil, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// queryScope is what one query request reads: the partitions in EPK order and an optional
// partition key (or hierarchical prefix) filter.
type queryScope struct {
	parts []*partition
	pk    *partitionKey
}

func (rq *request) queryScope(c *container) (queryScope, error) {
	var sc queryScope
	if h := rq.header(hdrPartitionKey); h != "" {
		pk, err := parsePartitionKeyHeader(h)
		if err != nil {
			return sc, err
		}
		if len(pk.parts) > len(c.pk.Paths) {
			return sc, badRequest("the partition key %s has more components than the "+
				"container's partition key %v", pk.key, c.pk.Paths)
		}
		sc.pk = &pk
	}
	if id := rq.header(hdrPartitionKeyRange); id != "" {
		p := c.partitionByRange(id)
		if p == nil {
			return sc, &Error{kind: kindGone, substatus: 1002,
				msg: fmt.Sprintf("partition key range %q does not exist (it may have split)", id)}
		}
		sc.parts = []*partition{p}
		return sc, nil
	}
	if sc.pk != nil && len(sc.pk.parts) == len(c.pk.Paths) {
		sc.parts = []*partition{c.partitionFor(*sc.pk)}
		return sc, nil
	}
	sc.parts = c.partitions()
	if sc.pk != nil {
		sc.parts = c.partitionsForPrefix(*sc.pk)
	}
	return sc, nil
}

// partitionsForPrefix narrows a hierarchical partition key prefix to the partitions whose
// EPK ranges its keys hash into: under MultiHash every component hashes to its own block,
// so the keys sharing a prefix span [EPK(prefix), EPK(prefix)+FF…F).
func (c *container) partitionsForPrefix(prefix partitionKey) []*partition {
	parts := c.partitions()
	if len(parts) == 1 || c.pk.Kind != string(epk.KindMultiHash) {
		return parts
	}
	lo, err := epk.Compute(c.pk.scheme(), prefix.parts)
	if err != nil {
		return parts
	}
	hi := lo + strings.Repeat("F", 32*(len(c.pk.Paths)-len(prefix.parts)))
	var out []*partition
	for _, p := range parts {
		startsBeforeHi := epk.Compare(p.min, hi) <= 0
		endsAfterLo := p.max == epk.MaxExclusive || epk.Compare(lo, p.max) < 0
		if startsBeforeHi && endsAfterLo {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return parts
	}
	return out
}

func (sc queryScope) matches(it *item, now int64) bool {
	if it == nil || it.expired(now) {
		return false
	}
	return sc.pk == nil || it.pk.hasPrefix(*sc.pk)
}

// query answers a query on items: streamable queries page statelessly by document
// position, the others run once and page from a server-side snapshot.
func (rq *request) query(c *container) error {
	pq, err := rq.prepareQuery()
	if err != nil {
		return err
	}
	sc, err := rq.queryScope(c)
	if err != nil {
		return err
	}
	if sc.pk == nil && rq.header(hdrPartitionKeyRange) == "" && !rq.isTrue(hdrCrossPartition) {
		return badRequest("Cross partition query is required but disabled. Please set " +
			"x-ms-documentdb-query-enablecrosspartition to true, specify " +
			"x-ms-documentdb-partitionkey, or revise your query to avoid this exception.")
	}
	return rq.runQuery(c, pq, sc)
}

func (rq *request) runQuery(c *container, pq *preparedQuery, sc queryScope) error {
	if err := checkGatewayServable(pq, sc); err != nil {
		return err
	}
	if err := rq.enter(sc.parts...); err != nil {
		return err
	}
	pageItems, err := rq.maxItemCount(defaultPageItems, maxPageItems)
	if err != nil {
		return err
	}
	started := time.Now()
	var pg page
	if pq.b.Streamable() {
		pg, err = rq.streamPage(pq.b, pq.text, sc, pageItems)
	} else {
		pg, err = rq.snapshotPage(pq.b, sc, pageItems)
	}
	if err != nil {
		return err
	}
	return rq.replyPage(c, sc, pg, time.Since(started))
}

// page is one page of query results.
type page struct {
	rows         [][]byte
	evaluated    int
	continuation string
	first        bool // the first page of the query (charged for its partition fan-out)
}

func (rq *request) replyPage(c *container, sc queryScope, pg page, took time.Duration) error {
	charge := queryBaseRU + queryPerEvaluatedRU*float64(pg.evaluated)
	for _, r := range pg.rows {
		charge += queryResultCharge(len(r))
	}
	if pg.first && len(sc.parts) > 1 {
		charge += queryPerPartitionRU * float64(len(sc.parts)-1)
	}
	rq.charge = round2(charge * rq.readFactor())
	h := rq.w.Header()
	if pg.continuation != "" {
		h.Set(hdrContinuation, pg.continuation)
	}
	sc.parts[0].mu.RLock()
	h.Set(hdrSessionToken, sc.parts[0].sessionToken())
	sc.parts[0].mu.RUnlock()
	h.Set(hdrItemCount, strconv.Itoa(len(pg.rows)))
	h.Set(hdrQueryMetrics, fmt.Sprintf("totalExecutionTimeInMs=%.2f;retrievedDocumentCount=%d;"+
		"outputDocumentCount=%d;indexUtilizationRatio=1.00", float64(took.Microseconds())/1000,
		pg.evaluated, len(pg.rows)))
	rq.reply(http.StatusOK, feedBody(c.rid, "Documents", pg.rows))
	return nil
}

// readFeed answers GET …/docs without A-IM: every document, paged like SELECT * FROM c.
func (rq *request) readFeed(c *container) error {
	pq, err := bindQuery(queryRequest{Query: "SELECT * FROM c"})
	if err != nil {
		return err
	}
	sc, err := rq.queryScope(c)
	if err != nil {
		return err
	}
	return rq.runQuery(c, pq, sc)
}

// checkGatewayServable refuses, as the service's gateway does for SDKs that send no query
// plan (azcosmos v1.5.0 sends none), a query spanning several physical partitions that
// needs client-side merging: TOP, DISTINCT, GROUP BY, aggregates, ORDER BY, OFFSET LIMIT.
// Over one physical partition the gateway serves any query, and so does the emulator.
func checkGatewayServable(pq *preparedQuery, sc queryScope) error {
	if len(sc.parts) < 2 {
		return nil
	}
	features := pq.q.PlanFeatures()
	if len(features) == 0 {
		return nil
	}
	return &Error{kind: kindBadRequest, substatus: 1004, msg: fmt.Sprintf(
		"The provided cross partition query can not be directly served by the gateway: it "+
			"spans %d physical partitions and uses %s, which need a query plan this client "+
			"does not send. Add a partition key to the query, or drop those clauses.",
		len(sc.parts), strings.Join(features, ", "))}
}

// sortPartitions orders partitions by the start of their EPK range.
func sortPartitions(parts []*partition) {
	sort.Slice(parts, func(i, j int) bool { return parts[i].min < parts[j].min })
}
