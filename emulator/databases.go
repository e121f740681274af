package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Charges of metadata operations (not published; see docs/emulator.md).
const (
	chargeMetadataRead  = 1
	chargeMetadataWrite = 5
	chargeFailed        = 1
)

func (d *database) json() []byte {
	b, _ := json.Marshal(struct {
		ID    string `json:"id"`
		RID   string `json:"_rid"`
		Self  string `json:"_self"`
		ETag  string `json:"_etag"`
		Colls string `json:"_colls"`
		Users string `json:"_users"`
		TS    int64  `json:"_ts"`
	}{d.id, d.rid, d.self(), d.etag, "colls/", "users/", d.ts})
	return b
}

// serveDatabases answers POST /dbs (create, or a query with x-ms-documentdb-query) and the
// GET /dbs read feed.
func (rq *request) serveDatabases() error {
	if rq.r.Method == http.MethodGet || rq.isTrue(hdrIsQuery) {
		return rq.listDatabases()
	}
	var in struct {
		ID string `json:"id"`
	}
	if err := rq.decodeBody("database", &in); err != nil {
		return err
	}
	if err := validateID("database", in.ID, false); err != nil {
		return err
	}
	offer, err := rq.offerFromHeaders()
	if err != nil {
		return err
	}
	if err := rq.s.checkOffer(offer); err != nil {
		return err
	}
	d, err := rq.s.store.createDatabase(in.ID, offer, rq.s.now().Unix())
	if err != nil {
		return err
	}
	rq.charge = chargeMetadataWrite
	rq.w.Header().Set(hdrETag, d.etag)
	rq.reply(http.StatusCreated, d.json())
	return nil
}

func (rq *request) listDatabases() error {
	rq.s.store.mu.RLock()
	dbs := make([]*database, 0, len(rq.s.store.dbs))
	for _, d := range rq.s.store.dbs {
		dbs = append(dbs, d)
	}
	rq.s.store.mu.RUnlock()
	slices.SortFunc(dbs, func(a, b *database) int { return strings.Compare(a.rid, b.rid) })
	docs := make([][]byte, len(dbs))
	for i, d := range dbs {
		docs[i] = d.json()
	}
	return rq.replyMetadataFeed("", "Databases", docs)
}

// serveDatabase answers GET and DELETE /dbs/{db}. There is no database replace.
func (rq *request) serveDatabase() error {
	st := rq.s.store
	if rq.r.Method == http.MethodDelete {
		st.mu.Lock()
		defer st.mu.Unlock()
		d := st.dbs[rq.rt.db]
		if d == nil {
			return notFound("database %q does not exist", rq.rt.db)
		}
		if err := rq.checkIfMatch(d.etag); err != nil {
			return err
		}
		delete(st.dbs, d.id)
		for _, c := range d.colls {
			c.deleted.Store(true)
		}
		rq.charge = chargeMetadataWrite
		rq.reply(http.StatusNoContent, nil)
		return nil
	}
	d, err := st.database(rq.rt.db)
	if err != nil {
		return err
	}
	rq.charge = chargeMetadataRead
	rq.w.Header().Set(hdrETag, d.etag)
	if rq.notModified(d.etag) {
		rq.reply(http.StatusNotModified, nil)
		return nil
	}
	if err := rq.checkIfMatch(d.etag); err != nil {
		return err
	}
	rq.reply(http.StatusOK, d.json())
	return nil
}

func (st *store) database(id string) (*database, error) {
	st.mu.RLock()
	d := st.dbs[id]
	st.mu.RUnlock()
	if d == nil {
		return nil, notFound("database %q does not exist", id)
	}
	return d, nil
}

func (st *store) createDatabase(id string, offer offerSettings, now int64) (*database, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.dbs[id]; ok {
		return nil, conflict("database %q already exists", id)
	}
	st.nextDB++
	rid := databaseRID(st.nextDB)
	d := &database{
		id: id, rid: encodeRID(rid[:]), ridBytes: rid, ts: now, offer: offer,
		etag: st.nextETag(), colls: map[string]*container{},
	}
	st.dbs[id] = d
	return d, nil
}

// replyMetadataFeed answers a read feed or a query over metadata documents. Queries run
// through the query engine; there are few enough documents for a single page.
func (rq *request) replyMetadataFeed(rid, key string, docs [][]byte) error {
	if rq.r.Method == http.MethodPost {
		var err error
		if docs, err = rq.queryDocuments(docs); err != nil {
			return err
		}
	}
	rq.charge = chargeMetadataRead
	rq.w.Header().Set(hdrItemCount, itoa(int64(len(docs))))
	rq.reply(http.StatusOK, feedBody(rid, key, docs))
	return nil
}
