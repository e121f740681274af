package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/stampede-load/stampede/emulator/epk"
)

// defaultIndexingPolicy is what the service stores when a container is created without one.
var defaultIndexingPolicy = json.RawMessage(`{"indexingMode":"consistent","automatic":true,` +
	`"includedPaths":[{"path":"/*"}],"excludedPaths":[{"path":"/\"_etag\"/?"}]}`)

// serveContainers answers POST /dbs/{db}/colls (create, or a query) and its GET read feed.
func (rq *request) serveContainers() error {
	d, err := rq.s.store.database(rq.rt.db)
	if err != nil {
		return err
	}
	if rq.r.Method == http.MethodGet || rq.isTrue(hdrIsQuery) {
		return rq.listContainers(d)
	}
	var props containerProps
	if err := rq.decodeBody("container", &props); err != nil {
		return err
	}
	if err := validateContainerProps(&props); err != nil {
		return err
	}
	offer, err := rq.offerFromHeaders()
	if err != nil {
		return err
	}
	if err := rq.s.checkOffer(offer); err != nil {
		return err
	}
	c, err := rq.s.store.createContainer(d, props, offer, rq.s.now().Unix())
	if err != nil {
		return err
	}
	rq.s.registerContainer(c, rq.s.now())
	meta := c.meta.Load()
	rq.charge = chargeMetadataWrite
	rq.w.Header().Set(hdrETag, meta.etag)
	rq.reply(http.StatusCreated, meta.body)
	return nil
}

func validateContainerProps(p *containerProps) error {
	if err := validateID("container", p.ID, false); err != nil {
		return err
	}
	if err := p.PartitionKey.validate(); err != nil {
		return err
	}
	if len(p.IndexingPolicy) == 0 || bytes.Equal(p.IndexingPolicy, []byte("null")) {
		p.IndexingPolicy = defaultIndexingPolicy
	}
	if _, err := parseUniqueKeys(p.UniqueKeyPolicy); err != nil {
		return err
	}
	if p.DefaultTTL != nil && (*p.DefaultTTL == 0 || *p.DefaultTTL < -1) {
		return badRequest("defaultTtl %d: want -1 (on, no default expiry) or a positive "+
			"number of seconds; omit it to turn TTL off", *p.DefaultTTL)
	}
	return nil
}

func (rq *request) listContainers(d *database) error {
	st := rq.s.store
	st.mu.RLock()
	colls := make([]*container, 0, len(d.colls))
	for _, c := range d.colls {
		colls = append(colls, c)
	}
	st.mu.RUnlock()
	slices.SortFunc(colls, func(a, b *container) int { return strings.Compare(a.rid, b.rid) })
	docs := make([][]byte, len(colls))
	for i, c := range colls {
		docs[i] = c.meta.Load().body
	}
	return rq.replyMetadataFeed(d.rid, "DocumentCollections", docs)
}

// serveContainer answers GET, PUT (replace) and DELETE on /dbs/{db}/colls/{c}.
func (rq *request) serveContainer() error {
	switch rq.r.Method {
	case http.MethodDelete:
		return rq.deleteContainer()
	case http.MethodPut:
		return rq.replaceContainer()
	}
	c, err := rq.s.store.container(rq.rt.db, rq.rt.coll)
	if err != nil {
		return err
	}
	meta := c.meta.Load()
	rq.charge = chargeMetadataRead
	rq.w.Header().Set(hdrETag, meta.etag)
	if rq.notModified(meta.etag) {
		rq.reply(http.StatusNotModified, nil)
		return nil
	}
	rq.reply(http.StatusOK, meta.body)
	return nil
}

func (rq *request) deleteContainer() error {
	st := rq.s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dbs[rq.rt.db]
	if d == nil {
		return notFound("database %q does not exist", rq.rt.db)
	}
	c := d.colls[rq.rt.coll]
	if c == nil {
		return notFound("container %q does not exist in database %q", rq.rt.coll, rq.rt.db)
	}
	if err := rq.checkIfMatch(c.meta.Load().etag); err != nil {
		return err
	}
	delete(d.colls, c.id)
	c.deleted.Store(true)
	rq.charge = chargeMetadataWrite
	rq.reply(http.StatusNoContent, nil)
	return nil
}

func (rq *request) replaceContainer() error {
	c, err := rq.s.store.container(rq.rt.db, rq.rt.coll)
	if err != nil {
		return err
	}
	var props containerProps
	if err := rq.decodeBody("container", &props); err != nil {
		return err
	}
	if props.ID != c.id {
		return badRequest("the id %q in the body does not match the container %q in the path",
			props.ID, c.id)
	}
	if err := validateContainerProps(&props); err != nil {
		return err
	}
	if !slices.Equal(props.PartitionKey.Paths, c.pk.Paths) {
		return badRequest("the partition key of a container cannot be changed (have %v, got %v)",
			c.pk.Paths, props.PartitionKey.Paths)
	}
	props.PartitionKey = c.pk
	if keys, _ := parseUniqueKeys(props.UniqueKeyPolicy); !reflect.DeepEqual(keys,
		c.meta.Load().uniqueKeys) {
		return badRequest("the unique key policy of a container cannot be changed")
	}
	st := rq.s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	old := c.meta.Load()
	if err := rq.checkIfMatch(old.etag); err != nil {
		return err
	}
	meta := newContainerMeta(c, props, st.nextETag(), rq.s.now().Unix())
	c.meta.Store(meta)
	rq.charge = chargeMetadataWrite
	rq.w.Header().Set(hdrETag, meta.etag)
	rq.reply(http.StatusOK, meta.body)
	return nil
}

func (st *store) container(db, coll string) (*container, error) {
	st.mu.RLock()
	d := st.dbs[db]
	var c *container
	if d != nil {
		c = d.colls[coll]
	}
	st.mu.RUnlock()
	if d == nil {
		return nil, notFound("database %q does not exist", db)
	}
	if c == nil {
		return nil, notFound("container %q does not exist in database %q", coll, db)
	}
	return c, nil
}

func (st *store) createContainer(
	d *database, props containerProps, offer offerSettings, now int64,
) (*container, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dbs[d.id] != d {
		return nil, notFound("database %q does not exist", d.id)
	}
	if _, ok := d.colls[props.ID]; ok {
		return nil, conflict("container %q already exists in database %q", props.ID, d.id)
	}
	d.nextColl++
	rid := containerRID(d.ridBytes, d.nextColl)
	c := &container{
		db: d, id: props.ID, rid: encodeRID(rid[:]), ridBytes: rid,
		pk: props.PartitionKey, offer: offer, onCommit: st.onCommit,
	}
	parts := []*partition{newPartition(c, "0", epk.MinInclusive, epk.MaxExclusive)}
	c.parts.Store(&parts)
	c.rangesVersion.Store(1)
	c.meta.Store(newContainerMeta(c, props, st.nextETag(), now))
	d.colls[c.id] = c
	return c, nil
}

// newContainerMeta renders the container's properties document with system properties.
func newContainerMeta(c *container, props containerProps, etag string, now int64) *containerMeta {
	body, _ := json.Marshal(struct {
		containerProps
		RID       string `json:"_rid"`
		TS        int64  `json:"_ts"`
		Self      string `json:"_self"`
		ETag      string `json:"_etag"`
		Docs      string `json:"_docs"`
		Sprocs    string `json:"_sprocs"`
		Triggers  string `json:"_triggers"`
		UDFs      string `json:"_udfs"`
		Conflicts string `json:"_conflicts"`
	}{props, c.rid, now, c.self(), etag, "docs/", "sprocs/", "triggers/", "udfs/", "conflicts/"})
	meta := &containerMeta{
		props: props, body: body, etag: etag, ts: now, defaultTTL: props.DefaultTTL,
		index: parseIndexing(props.IndexingPolicy),
	}
	// The policy was validated when the request was read.
	meta.uniqueKeys, _ = parseUniqueKeys(props.UniqueKeyPolicy)
	return meta
}
