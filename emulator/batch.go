package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// maxBatchOperations is the service's limit on operations per transactional batch.
const maxBatchOperations = 100

// batchOperation is one operation of a transactional batch request body.
type batchOperation struct {
	OperationType string          `json:"operationType"`
	ID            string          `json:"id"`
	IfMatch       string          `json:"ifMatch"`
	ResourceBody  json.RawMessage `json:"resourceBody"`
}

// batchResult is one entry of the batch response, in operation order.
type batchResult struct {
	StatusCode    int             `json:"statusCode"`
	SubStatusCode int             `json:"substatuscode,omitempty"`
	RequestCharge float64         `json:"requestCharge"`
	ETag          string          `json:"eTag,omitempty"`
	ResourceBody  json.RawMessage `json:"resourceBody,omitempty"`
}

// batchView overlays a batch's planned writes on the partition, so each operation sees the
// effect of the ones before it; nothing is committed until every operation has succeeded.
type batchView struct {
	p       *partition
	written map[string]*item // nil: deleted by the batch
}

func (v *batchView) current(key string, now int64) *item {
	if it, ok := v.written[key]; ok {
		return it
	}
	return v.p.get(key, now)
}

// batch answers a transactional batch: all operations on one partition key, atomic (all
// or nothing), 200 when every one succeeds, else 207 with the failing operation's status
// and 424 for the others.
func (rq *request) batch(c *container) error {
	h := rq.header(hdrPartitionKey)
	if h == "" {
		return badRequest("a transactional batch needs the partition key header %s",
			hdrPartitionKey)
	}
	pk, err := parsePartitionKeyHeader(h)
	if err != nil {
		return err
	}
	var raw []batchOperation
	if err := rq.decodeBody("batch operations", &raw); err != nil {
		return err
	}
	if len(raw) == 0 || len(raw) > maxBatchOperations {
		return badRequest("a transactional batch takes 1 to %d operations, got %d",
			maxBatchOperations, len(raw))
	}
	ops := make([]*itemOp, len(raw))
	opErrs := make([]error, len(raw))
	for i, o := range raw {
		ops[i], opErrs[i] = parseBatchOperation(c, pk, o)
	}
	if err := rq.s.checkBatchStorage(c, pk, ops); err != nil {
		return err
	}
	p := c.partitionFor(pk)
	if err := rq.enter(p); err != nil {
		return err
	}
	results, failed, token, pos := p.runBatch(ops, opErrs, c.meta.Load(), rq.s.now().Unix())
	rq.noteCommit(pos)
	return rq.replyBatch(ops, opErrs, results, failed, token)
}

func parseBatchOperation(c *container, pk partitionKey, o batchOperation) (*itemOp, error) {
	op := &itemOp{id: o.ID, pk: pk, ifMatch: o.IfMatch}
	kinds := map[string]itemOpKind{
		"Create": itemCreate, "Upsert": itemUpsert, "Replace": itemReplace,
		"Delete": itemDelete, "Read": itemRead, "Patch": itemPatch,
	}
	op.kind = kinds[o.OperationType]
	switch op.kind {
	case 0:
		return op, badRequest("operationType %q: want Create, Upsert, Replace, Delete, Read "+
			"or Patch", o.OperationType)
	case itemCreate, itemUpsert, itemReplace:
		doc, err := parseDocument(o.ResourceBody, &c.pk)
		if err != nil {
			return op, err
		}
		if doc.pk.key != pk.key {
			return op, badRequest("the partition key %s of the document %q does not match the "+
				"batch's partition key %s", doc.pk.key, doc.id, pk.key)
		}
		if op.kind == itemReplace && doc.id != o.ID {
			return op, badRequest("the id %q in resourceBody does not match the operation's "+
				"id %q", doc.id, o.ID)
		}
		op.doc = doc
	case itemPatch:
		spec, err := parsePatch(o.ResourceBody)
		if err != nil {
			return op, err
		}
		op.patch = spec
	}
	if op.doc == nil {
		if err := validateID("document", op.id, true); err != nil {
			return op, err
		}
	}
	return op, nil
}

// runBatch plans every operation against an overlay and commits them only if all succeed.
// It returns one result per operation, the index of the failed one (-1 if none), the
// session token and the durable log position of the last write (0 if none).
func (p *partition) runBatch(ops []*itemOp, opErrs []error, meta *containerMeta, now int64) (
	[]opResult, int, string, uint64,
) {
	p = p.c.lockForWrite(p, ops[0].pk)
	defer p.mu.Unlock()
	view := &batchView{p: p, written: map[string]*item{}}
	results := make([]opResult, len(ops))
	lsn := p.lsn
	for i, op := range ops {
		err := opErrs[i]
		if err == nil {
			results[i], err = p.plan(view, op, lsn+1, now, meta)
		}
		if err != nil {
			opErrs[i] = err
			return results, i, p.sessionToken(), 0
		}
		if results[i].commit != 0 {
			lsn++
			view.written[results[i].key] = results[i].item
		}
	}
	p.txLeft = lsn - p.lsn
	var pos uint64
	for _, r := range results {
		if r.commit != 0 {
			p.commit(r.commit, r.key, r.item)
			pos = p.commitPos
		}
	}
	return results, -1, p.sessionToken(), pos
}

func (rq *request) replyBatch(ops []*itemOp, opErrs []error, results []opResult, failed int,
	token string,
) error {
	out := make([]batchResult, len(ops))
	total := 0.0
	minimal := rq.minimal()
	for i, op := range ops {
		r := results[i]
		total += r.charge
		switch {
		case failed >= 0 && i == failed:
			status, sub, _, _ := errorResponse(opErrs[i])
			out[i] = batchResult{StatusCode: status, SubStatusCode: sub, RequestCharge: chargeFailed}
			total += chargeFailed
		case failed >= 0:
			out[i] = batchResult{StatusCode: http.StatusFailedDependency}
		default:
			out[i] = batchResult{StatusCode: r.status, RequestCharge: r.charge}
			if r.item != nil {
				out[i].ETag = r.item.etag()
				if op.kind == itemRead || !minimal {
					out[i].ResourceBody = r.item.body
				}
			}
		}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode batch response: %w", err)
	}
	rq.charge = round2(total)
	rq.w.Header().Set(hdrSessionToken, token)
	status := http.StatusOK
	if failed >= 0 {
		status = http.StatusMultiStatus
	}
	rq.reply(status, body)
	return nil
}
