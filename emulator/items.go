package emulator

import (
	"net/http"
	"strings"
)

// itemOpKind is one point operation on an item, as a request or a batch operation asks.
type itemOpKind int

const (
	itemCreate itemOpKind = iota + 1
	itemUpsert
	itemReplace
	itemDelete
	itemPatch
	itemRead
)

// itemOp is one point operation, fully parsed.
type itemOp struct {
	kind    itemOpKind
	id      string
	pk      partitionKey
	doc     *document  // create, upsert, replace
	patch   *patchSpec // patch
	ifMatch string
}

// opResult is the planned outcome of an itemOp: what to commit and what to answer.
type opResult struct {
	status int
	item   *item  // the new version (writes) or the version read
	commit opKind // 0 when nothing is written
	key    string
	charge float64
}

// itemView is the state an operation is planned against: the partition itself, or a
// batch's overlay of its earlier operations.
type itemView interface {
	current(key string, now int64) *item
}

func (p *partition) current(key string, now int64) *item { return p.get(key, now) }

// plan decides the outcome of op against v, building the new version for LSN lsn, without
// changing anything; the caller commits it. Caller holds p.mu.
func (p *partition) plan(v itemView, op *itemOp, lsn, now int64, meta *containerMeta) (
	opResult, error,
) {
	id := op.id
	if op.doc != nil {
		id = op.doc.id
	}
	key := itemKey(op.pk, id)
	cur := v.current(key, now)
	res := opResult{key: key}
	if cur == nil && op.kind != itemCreate && op.kind != itemUpsert {
		return res, notFound("the document %q with partition key %s does not exist", id, op.pk.key)
	}
	switch op.kind {
	case itemRead:
		res.status, res.item, res.charge = http.StatusOK, cur, readCharge(len(cur.body))
		return res, nil
	case itemCreate:
		if cur != nil {
			return res, conflict("a document with id %q already exists in partition key %s",
				id, op.pk.key)
		}
	case itemReplace, itemPatch, itemDelete, itemUpsert:
		if cur == nil {
			if op.ifMatch != "" {
				return res, preconditionFailed("the document %q does not exist, so If-Match "+
					"%s cannot hold", id, op.ifMatch)
			}
			break
		}
		if op.ifMatch != "" && op.ifMatch != "*" && op.ifMatch != cur.etag() {
			return res, preconditionFailed("the operation specified an etag (%s) different "+
				"from the document's current etag (%s)", op.ifMatch, cur.etag())
		}
	}
	return p.planWrite(v, op, cur, res, lsn, now, meta)
}

func (p *partition) planWrite(v itemView, op *itemOp, cur *item, res opResult, lsn, now int64,
	meta *containerMeta,
) (opResult, error) {
	if op.kind == itemDelete {
		res.status, res.commit, res.charge = http.StatusNoContent, opDelete, meta.createCharge(cur.body)
		return res, nil
	}
	doc := op.doc
	if op.kind == itemPatch {
		var err error
		if doc, err = p.patched(cur, op, meta); err != nil {
			return res, err
		}
	}
	res.status, res.commit, res.charge = http.StatusOK, opReplace, 0
	seq := int64(0)
	if cur == nil {
		res.status, res.commit, seq = http.StatusCreated, opCreate, p.c.seq.Add(1)
	} else {
		seq = cur.seq
	}
	res.item = p.c.build(doc, res.key, seq, lsn, now, meta)
	if err := p.checkUnique(v, res.key, res.item, now); err != nil {
		return res, err
	}
	if cur == nil {
		res.charge = meta.createCharge(res.item.body)
	} else {
		res.charge = meta.replaceCharge(res.item.body)
	}
	return res, nil
}

// build stamps a document into a stored version. Its id and partition key text are
// slices of key (the item's map key), so a stored version allocates neither again.
func (c *container) build(d *document, key string, seq, lsn, now int64, meta *containerMeta,
) *item {
	n := len(d.pk.key)
	return &item{
		body: d.stamped(c, seq, lsn, now), id: key[n+1:],
		pk:  partitionKey{parts: d.pk.parts, key: key[:n]},
		seq: seq, lsn: lsn, ts: now, expires: d.expiry(meta.defaultTTL, now),
	}
}

// serveItems answers POST …/docs (create, upsert, query, batch) and GET …/docs (change
// feed, or the read feed as a query over every document).
func (rq *request) serveItems() error {
	c, err := rq.s.store.container(rq.rt.db, rq.rt.coll)
	if err != nil {
		return err
	}
	switch {
	case rq.r.Method == http.MethodGet && strings.EqualFold(rq.header(hdrAIM), "Incremental Feed"):
		return rq.changeFeed(c)
	case rq.r.Method == http.MethodGet:
		return rq.readFeed(c)
	case rq.isTrue(hdrIsBatch):
		return rq.batch(c)
	case rq.isTrue(hdrIsQuery) ||
		strings.HasPrefix(rq.header("Content-Type"), "application/query+json"):
		return rq.query(c)
	}
	raw, err := rq.body()
	if err != nil {
		return err
	}
	doc, err := parseDocument(raw, &c.pk)
	if err != nil {
		return err
	}
	doc.spare = true // the body is this request's own
	op := &itemOp{kind: itemCreate, doc: doc, pk: doc.pk, ifMatch: rq.header(hdrIfMatch)}
	if rq.isTrue(hdrIsUpsert) {
		op.kind = itemUpsert
	}
	if err := rq.checkBodyKey(c, doc); err != nil {
		return err
	}
	return rq.runItemOp(c, op)
}

// checkBodyKey compares the partition key in the body with the header, when one is sent.
func (rq *request) checkBodyKey(c *container, doc *document) error {
	h := rq.header(hdrPartitionKey)
	if h == "" {
		return nil
	}
	pk, err := parsePartitionKeyHeader(h)
	if err != nil {
		return err
	}
	if pk.key != doc.pk.key {
		return badRequest("the partition key %s extracted from the document (paths %v) does "+
			"not match the one specified in the header, %s", doc.pk.key, c.pk.Paths, pk.key)
	}
	return nil
}

// serveItem answers GET, PUT, DELETE and PATCH on …/docs/{id}.
func (rq *request) serveItem() error {
	c, err := rq.s.store.container(rq.rt.db, rq.rt.coll)
	if err != nil {
		return err
	}
	pk, err := rq.pointKey(c)
	if err != nil {
		return err
	}
	op := &itemOp{id: rq.rt.doc, pk: pk, ifMatch: rq.header(hdrIfMatch)}
	switch rq.r.Method {
	case http.MethodGet:
		op.kind = itemRead
	case http.MethodDelete:
		op.kind = itemDelete
	case http.MethodPut:
		op.kind = itemReplace
		if op.doc, err = rq.replacement(c, pk); err != nil {
			return err
		}
	case http.MethodPatch:
		op.kind = itemPatch
		raw, err := rq.body()
		if err != nil {
			return err
		}
		if op.patch, err = parsePatch(raw); err != nil {
			return err
		}
	}
	return rq.runItemOp(c, op)
}

// pointKey reads the partition key header a point operation must carry, complete.
func (rq *request) pointKey(c *container) (partitionKey, error) {
	h := rq.header(hdrPartitionKey)
	if h == "" {
		return partitionKey{}, badRequest("the partition key header %s is required for "+
			"operations on a document (container partition key %v)", hdrPartitionKey, c.pk.Paths)
	}
	pk, err := parsePartitionKeyHeader(h)
	if err != nil {
		return pk, err
	}
	if len(pk.parts) != len(c.pk.Paths) {
		return pk, badRequest("the partition key %s has %d components; the container's "+
			"partition key %v has %d", pk.key, len(pk.parts), c.pk.Paths, len(c.pk.Paths))
	}
	return pk, nil
}

func (rq *request) replacement(c *container, pk partitionKey) (*document, error) {
	raw, err := rq.body()
	if err != nil {
		return nil, err
	}
	doc, err := parseDocument(raw, &c.pk)
	if err != nil {
		return nil, err
	}
	doc.spare = true // the body is this request's own
	if doc.id != rq.rt.doc {
		return nil, badRequest("the id %q in the body does not match the id %q in the path",
			doc.id, rq.rt.doc)
	}
	if doc.pk.key != pk.key {
		return nil, badRequest("the partition key %s in the document does not match the "+
			"header's %s; a document cannot move between partition keys", doc.pk.key, pk.key)
	}
	return doc, nil
}

// runItemOp runs one point operation on its partition and answers it.
func (rq *request) runItemOp(c *container, op *itemOp) error {
	p := c.partitionFor(op.pk)
	if err := rq.enter(p); err != nil {
		return err
	}
	meta := c.meta.Load()
	now := rq.s.now().Unix()
	var res opResult
	var err error
	var token string
	if op.kind == itemRead {
		p.mu.RLock()
		res, err = p.plan(p, op, 0, now, meta)
		token = p.sessionToken()
		p.mu.RUnlock()
	} else {
		if err := rq.s.checkOpStorage(c, op); err != nil {
			return err
		}
		p = c.lockForWrite(p, op.pk)
		res, err = p.plan(p, op, p.lsn+1, now, meta)
		var pos uint64
		if err == nil {
			p.commit(res.commit, res.key, res.item)
			pos = p.commitPos
		}
		token = p.sessionToken()
		p.mu.Unlock()
		rq.noteCommit(pos)
	}
	h := rq.w.Header()
	h.Set(hdrSessionToken, token)
	if err != nil {
		return err
	}
	rq.charge = res.charge
	if op.kind == itemRead {
		rq.charge = round2(res.charge * rq.readFactor())
	}
	if res.item == nil {
		rq.reply(res.status, nil)
		return nil
	}
	h.Set(hdrETag, res.item.etag())
	if op.kind != itemRead && rq.minimal() {
		rq.reply(res.status, nil)
		return nil
	}
	rq.reply(res.status, res.item.body)
	return nil
}
