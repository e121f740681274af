package emulator

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Substatus codes the region layer answers with.
const (
	substatusWriteForbidden          = 3
	substatusReadSessionNotAvailable = 1002
	substatusServiceUnavailable      = 21001
)

// hdrConsistencyLevel is the per-request consistency level a client may ask for.
const hdrConsistencyLevel = "x-ms-consistency-level"

// strongReadWait bounds how long a Strong read in a region that is catching up waits before
// it is answered 503 (so the SDK tries the next region).
const strongReadWait = 5 * time.Second

// requestClass is what the region layer needs to know about a request, read from the
// method, the escaped path and two headers, without parsing ids.
type requestClass struct {
	account  bool // GET / (the account document)
	write    bool // changes state
	items    bool // addresses documents (…/docs or …/docs/{id})
	metadata bool // a write to databases, containers or offers
}

func classify(r *http.Request) requestClass {
	p := strings.Trim(r.URL.EscapedPath(), "/")
	if p == "" {
		return requestClass{account: true}
	}
	var rc requestClass
	rc.items = strings.HasPrefix(p, "dbs/") && segment(p, 4) == "docs"
	switch r.Method {
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		rc.write = true
	case http.MethodPost:
		rc.write = !isQuery(r)
	}
	rc.metadata = rc.write && !rc.items
	return rc
}

// segment is the i-th '/'-separated segment of p (0-based), "" past the end.
func segment(p string, i int) string {
	for ; i > 0; i-- {
		_, rest, ok := strings.Cut(p, "/")
		if !ok {
			return ""
		}
		p = rest
	}
	seg, _, _ := strings.Cut(p, "/")
	return seg
}

func isQuery(r *http.Request) bool {
	v, _ := strconv.ParseBool(r.Header.Get(hdrIsQuery))
	return v || strings.HasPrefix(r.Header.Get("Content-Type"), "application/query+json")
}

// ServeHTTP serves one region: an outage if it is down, else the data plane with the
// region's role and the consistency level enforced.
func (g *region) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if st := g.state.Load(); st.down {
		g.serveDown(w, r, st)
		return
	}
	g.serveUp(w, r)
}

func (g *region) serveUp(w http.ResponseWriter, r *http.Request) {
	a := g.a
	rc := classify(r)
	switch {
	case rc.account:
		a.serveAccountDoc(g, w, r)
		return
	case rc.write:
		if err := g.admitWrite(r.Context(), rc.items); err != nil {
			frontError(w, r, err)
			return
		}
		defer g.inflight.Add(-1)
	case rc.items:
		if err := g.checkRead(r); err != nil {
			frontError(w, r, err)
			return
		}
	}
	if !rc.write {
		g.srv.ServeHTTP(w, r)
		return
	}
	if err := a.checkStaleness(g); err != nil {
		frontError(w, r, err)
		return
	}
	if rc.metadata {
		g.serveMetadataWrite(w, r)
		return
	}
	aw := &ackWriter{ResponseWriter: w, a: a, g: g, ctx: r.Context()}
	g.srv.ServeHTTP(aw, r)
	if !aw.wrote {
		aw.WriteHeader(http.StatusOK)
	}
}

// serveMetadataWrite runs a database, container or offer write and mirrors the metadata
// into every region before the client is answered.
func (g *region) serveMetadataWrite(w http.ResponseWriter, r *http.Request) {
	buf := &bufferedResponse{header: http.Header{}}
	g.srv.ServeHTTP(buf, r)
	if buf.status < 300 {
		g.a.mirrorAll(g)
		if d := g.a.durable; d != nil {
			if err := d.wait(r.Context(), d.appendMetadata(g.srv.store)); err != nil {
				frontError(w, r, err)
				return
			}
		}
	}
	buf.copyTo(w)
}

// acceptsWrites reports whether g takes writes now: it is the write region.
func (a *Account) acceptsWrites(g *region) bool {
	return a.writer.Load() == g && a.switching.Load() == nil
}

// admitWrite counts a write request in flight in g if g may take it, else returns the 403
// (substatus 3) that sends the SDK to re-read the account. The write region holds the
// writes it gets while a planned failover moves the role away from it, and refuses them
// once the account document names the new write region: refused earlier, the SDK would
// re-read the old topology and, its forced refreshes rate-limited, keep writing to the old
// region for seconds.
func (g *region) admitWrite(ctx context.Context, items bool) error {
	a := g.a
	for {
		if sw := a.switching.Load(); sw != nil && a.writer.Load() == g {
			select {
			case <-*sw:
			case <-ctx.Done():
				return writeForbidden(g.name, a.WriteRegion())
			}
		}
		g.inflight.Add(1)
		if a.acceptsWrites(g) || (a.rc.MultiRegionWrites && items) {
			return nil
		}
		g.inflight.Add(-1)
		// A switch that began after the check above: wait for it too.
		if a.switching.Load() == nil || a.writer.Load() != g {
			return writeForbidden(g.name, a.WriteRegion())
		}
	}
}

func writeForbidden(region, writer string) error {
	return &Error{kind: kindForbidden, substatus: substatusWriteForbidden,
		msg: "region " + strconv.Quote(region) + " does not accept writes; the write region is " +
			strconv.Quote(writer)}
}

// checkRead applies the read guarantees of the effective consistency level in g.
func (g *region) checkRead(r *http.Request) error {
	a := g.a
	switch a.readLevel(r) {
	case Session:
		return g.checkSession(r)
	case Strong:
		if a.writer.Load() == g {
			return nil
		}
		ctx, cancel := context.WithTimeout(r.Context(), strongReadWait)
		defer cancel()
		// Every acknowledged write is in every region that was up; only a region that
		// came back since has to catch up first.
		if err := g.waitCaughtUp(ctx, a.repl.acked.Load()); err != nil {
			return &Error{kind: kindServiceUnavailable, substatus: substatusServiceUnavailable,
				msg: "region " + strconv.Quote(g.name) + " is catching up and cannot serve " +
					"a strong read yet"}
		}
	}
	return nil
}

// readLevel is the account's level, or the weaker one the request asks for.
func (a *Account) readLevel(r *http.Request) Consistency {
	level := a.rc.Consistency
	if v := r.Header.Get(hdrConsistencyLevel); v != "" {
		if asked, err := ParseConsistency(v); err == nil && asked.rank() > level.rank() {
			level = asked
		}
	}
	return level
}

// checkSession answers 404/1002 (ReadSessionNotAvailable) when the request's session token
// is ahead of what g has applied for a partition; the SDK then retries in the write region.
func (g *region) checkSession(r *http.Request) error {
	tokens := r.Header.Get(hdrSessionToken)
	if tokens == "" || g.a.writer.Load() == g {
		return nil
	}
	rt, err := parseRoute(r.URL)
	if err != nil {
		return nil // the core answers the bad path
	}
	c, err := g.srv.store.container(rt.db, rt.coll)
	if err != nil {
		return nil
	}
	for tok := range strings.SplitSeq(tokens, ",") {
		rangeID, lsn, ok := parseSessionToken(tok)
		if !ok {
			continue
		}
		p := c.partitionByRange(rangeID)
		if p == nil {
			continue
		}
		p.mu.RLock()
		have := p.lsn
		p.mu.RUnlock()
		if have < lsn {
			return &Error{kind: kindNotFound, substatus: substatusReadSessionNotAvailable,
				msg: "the read session is not available in region " + strconv.Quote(g.name) +
					": partition " + rangeID + " is at LSN " + itoa(have) + ", the session " +
					"token needs " + itoa(lsn)}
		}
	}
	return nil
}

// parseSessionToken reads "<rangeId>:<version>#<lsn>" or "<rangeId>:<lsn>".
func parseSessionToken(tok string) (rangeID string, lsn int64, ok bool) {
	rangeID, rest, found := strings.Cut(strings.TrimSpace(tok), ":")
	if !found {
		return "", 0, false
	}
	if _, after, hash := strings.Cut(rest, "#"); hash {
		rest = after
	}
	lsn, err := strconv.ParseInt(rest, 10, 64)
	return rangeID, lsn, err == nil
}

// checkStaleness refuses a write with 429 under bounded staleness while an up region other
// than g is more than K writes or T behind, as the service throttles writes until the
// lagging region catches up.
func (a *Account) checkStaleness(g *region) error {
	if a.rc.Consistency != BoundedStaleness {
		return nil
	}
	now := time.Now()
	for _, d := range a.regions {
		if d == g || d.state.Load().down {
			continue
		}
		n, age := d.in.behind(now)
		if int64(n) >= a.rc.MaxStalenessPrefix || (n > 0 && age >= a.rc.MaxStalenessInterval) {
			e := throttled(100)
			e.msg = "bounded staleness: region " + strconv.Quote(d.name) + " is " +
				strconv.Itoa(n) + " writes and " + age.Round(time.Millisecond).String() +
				" behind; writes wait until it catches up"
			return e
		}
	}
	return nil
}

// serveDown plays an outage: refuse (the listener is closed; a request still arriving on a
// kept-alive connection has it closed), 503, or timeout (the connection is held without an
// answer until the region comes back, then closed).
func (g *region) serveDown(w http.ResponseWriter, r *http.Request, st *regionState) {
	switch st.mode {
	case Outage503:
		if rc := classify(r); rc.write && !g.a.acceptsWrites(g) && !rc.account {
			// The account already moved its write region: tell the SDK to refresh it.
			frontError(w, r, writeForbidden(g.name, g.a.WriteRegion()))
			return
		}
		frontError(w, r, &Error{kind: kindServiceUnavailable,
			substatus: substatusServiceUnavailable,
			msg:       "region " + strconv.Quote(g.name) + " is unavailable (outage)"})
	case OutageTimeout:
		conn := hijack(w)
		if conn == nil {
			return
		}
		g.held.add(conn)
		select {
		case <-st.revoked:
		case <-g.a.stop:
		}
		g.held.remove(conn)
		_ = conn.Close()
	default:
		if conn := hijack(w); conn != nil {
			_ = conn.Close()
		}
	}
}

func hijack(w http.ResponseWriter) net.Conn {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// frontError answers an error decided by the region layer, in the service's shape.
func frontError(w http.ResponseWriter, r *http.Request, err error) {
	h := w.Header()
	h.Set(hdrActivityID, activityID(r))
	h.Set(hdrRequestCharge, "0.00")
	writeError(w, err)
}

// serveAccountDoc answers GET / with the account's regions: the write region is the only
// writable location, and readable locations list every region in priority order with the
// write region first. Regional endpoints use the host the client reached, so they are
// reachable from where it runs.
func (a *Account) serveAccountDoc(g *region, w http.ResponseWriter, r *http.Request) {
	if err := g.srv.authorize(r, route{kind: routeAccount}); err != nil {
		frontError(w, r, err)
		return
	}
	if r.Method != http.MethodGet {
		frontError(w, r, newError(kindMethodNotAllowed, "the account supports GET only"))
		return
	}
	body, _ := json.Marshal(a.accountDoc(r))
	h := w.Header()
	h.Set(hdrActivityID, activityID(r))
	h.Set(hdrRequestCharge, "0.00")
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (a *Account) accountDoc(r *http.Request) map[string]any {
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	writer := a.writer.Load()
	loc := func(g *region) accountLocation {
		return accountLocation{Name: g.name, Endpoint: a.scheme() + "://" +
			net.JoinHostPort(host, portOf(g.addr)) + "/"}
	}
	readable := []accountLocation{loc(writer)}
	for _, g := range a.regions {
		if g != writer {
			readable = append(readable, loc(g))
		}
	}
	writable := readable[:1]
	if a.rc.MultiRegionWrites {
		writable = readable
	}
	return map[string]any{
		"id": "localhost", "_rid": "localhost", "_self": "", "_dbs": "//dbs/",
		"media": "//media/", "addresses": "//addresses/",
		"writableLocations":            writable,
		"readableLocations":            readable,
		"enableMultipleWriteLocations": a.rc.MultiRegionWrites,
		"userConsistencyPolicy":        a.consistencyPolicy(),
		"systemReplicationPolicy": map[string]any{
			"minReplicaSetSize": 1, "maxReplicasetSize": 1,
		},
		"readPolicy": map[string]any{
			"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1,
		},
	}
}

func (a *Account) consistencyPolicy() map[string]any {
	p := map[string]any{"defaultConsistencyLevel": string(a.rc.Consistency)}
	if a.rc.Consistency == BoundedStaleness {
		p["maxStalenessPrefix"] = a.rc.MaxStalenessPrefix
		p["maxIntervalInSeconds"] = int64(a.rc.MaxStalenessInterval / time.Second)
	}
	return p
}

// ServeHTTP serves the account endpoint: the control API, the account document, and the
// data plane of the write region for clients that do not route by region.
func (a *Account) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, ControlPath) {
		a.serveControl(w, r)
		return
	}
	writer := a.writer.Load()
	if classify(r).account {
		a.serveAccountDoc(writer, w, r)
		return
	}
	writer.ServeHTTP(w, r)
}

// ackWriter holds back the answer to a write until the write may be acknowledged: under
// Strong, until every region that is up has applied it. If that cannot happen (the write
// region went down first), the answer becomes 503 and the write is not acknowledged.
type ackWriter struct {
	http.ResponseWriter
	a      *Account
	g      *region
	ctx    context.Context
	wrote  bool
	failed bool
	// noted is set when the server told the writer the log position of its commit (pos);
	// without it, the answer waits for everything logged by the time it is written.
	noted bool
	pos   uint64
}

func (aw *ackWriter) noteCommit(pos uint64) { aw.noted, aw.pos = true, pos }

func (aw *ackWriter) WriteHeader(status int) {
	if aw.wrote {
		return
	}
	aw.wrote = true
	if status < 300 {
		seq := aw.a.repl.current()
		pos := aw.pos
		if aw.a.durable != nil && !aw.noted {
			pos = aw.a.durable.position()
		}
		if err := aw.a.beforeAck(aw.ctx, aw.g, seq, pos); err != nil {
			aw.failed = true
			h := aw.ResponseWriter.Header()
			for _, k := range []string{hdrETag, hdrSessionToken, "Content-Length", "Content-Type"} {
				h.Del(k)
			}
			writeError(aw.ResponseWriter, err)
			return
		}
		aw.a.repl.markAcked(seq)
		aw.g.noteWrite()
	}
	aw.ResponseWriter.WriteHeader(status)
}

func (aw *ackWriter) Write(b []byte) (int, error) {
	if !aw.wrote {
		aw.WriteHeader(http.StatusOK)
	}
	if aw.failed {
		return len(b), nil
	}
	return aw.ResponseWriter.Write(b)
}

// beforeAck waits for what durability and the consistency level require before a write
// that committed up to replication sequence seq and log position pos is acknowledged.
func (a *Account) beforeAck(ctx context.Context, g *region, seq, pos uint64) error {
	if a.durable != nil {
		if err := a.durable.wait(ctx, pos); err != nil {
			return err
		}
	}
	if a.rc.Consistency != Strong || len(a.regions) == 1 {
		return nil
	}
	return a.waitReplicated(ctx, seq, func() bool { return g.state.Load().down })
}

// bufferedResponse collects a response so work can happen before the client sees it.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body)
}
