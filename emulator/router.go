package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// routeKind is the resource a request path addresses.
type routeKind int

const (
	routeAccount routeKind = iota
	routeDatabases
	routeDatabase
	routeContainers
	routeContainer
	routeItems
	routeItem
	routePKRanges
	routeOffers
)

// route is a parsed request path: the resource kind, the ids it names, and the resource
// type and link the master-key signature covers.
type route struct {
	kind    routeKind
	db      string
	coll    string
	doc     string
	resType string
	resLink string
}

// parseRoute splits the escaped path and unescapes each segment, so ids holding %2F, %3F,
// %23 or a literal '+' survive (r.URL.Path has already turned %2F into '/').
func parseRoute(u *url.URL) (route, error) {
	p := strings.Trim(u.EscapedPath(), "/")
	var segs []string
	if p != "" {
		segs = strings.Split(p, "/")
	}
	for i, s := range segs {
		v, err := url.PathUnescape(s)
		if err != nil {
			return route{}, badRequest("malformed path segment %q: %v", s, err)
		}
		segs[i] = v
	}
	rt, ok := matchRoute(segs)
	if !ok {
		return route{}, notFound("unknown resource path %q", u.EscapedPath())
	}
	rt.resType, rt.resLink = signedResource(segs)
	return rt, nil
}

func matchRoute(segs []string) (route, bool) {
	n := len(segs)
	if n == 0 {
		return route{kind: routeAccount}, true
	}
	if segs[0] == "offers" && n <= 2 {
		return route{kind: routeOffers}, true
	}
	if segs[0] != "dbs" {
		return route{}, false
	}
	rt := route{}
	if n >= 2 {
		rt.db = segs[1]
	}
	if n >= 4 {
		rt.coll = segs[3]
	}
	switch {
	case n == 1:
		rt.kind = routeDatabases
	case n == 2:
		rt.kind = routeDatabase
	case n == 3 && segs[2] == "colls":
		rt.kind = routeContainers
	case n == 4 && segs[2] == "colls":
		rt.kind = routeContainer
	case n == 5 && segs[2] == "colls" && segs[4] == "docs":
		rt.kind = routeItems
	case n == 6 && segs[2] == "colls" && segs[4] == "docs":
		rt.kind, rt.doc = routeItem, segs[5]
	case n == 5 && segs[2] == "colls" && segs[4] == "pkranges":
		rt.kind = routePKRanges
	default:
		return route{}, false
	}
	return rt, true
}

// signedResource derives the resource type and link the client signed: a feed (odd number
// of segments) signs its parent link with the child type; offers sign the lowercased id.
func signedResource(segs []string) (resType, link string) {
	n := len(segs)
	switch {
	case n == 0:
		return "", ""
	case segs[0] == "offers":
		if n == 1 {
			return "offers", ""
		}
		return "offers", strings.ToLower(segs[1])
	case n%2 == 1:
		return segs[n-1], strings.Join(segs[:n-1], "/")
	default:
		return segs[n-2], strings.Join(segs, "/")
	}
}

// request is the state of one HTTP exchange: what it charged and which partitions it ran on.
type request struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	rt     route
	charge float64
	refs   []PartitionRef
}

// ServeHTTP serves the Cosmos DB REST protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveMetrics(w, r) {
		return
	}
	rq := &request{s: s, w: w, r: r}
	h := w.Header()
	h.Set(hdrActivityID, activityID(r))
	h.Set(hdrServerVersion, "version=2.14.0.0")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			rq.fail(newError(kindInternal, "internal error: %v", v))
		}
	}()
	if err := rq.serve(); err != nil {
		rq.fail(err)
	}
	rq.consume()
}

// commitNoter is a response writer that holds the answer to a write until it is durable
// (the account front's ackWriter): told the log position of the request's commit, it waits
// for exactly that instead of everything logged by the time the answer is written.
type commitNoter interface{ noteCommit(pos uint64) }

// noteCommit passes the durable log position of the request's write to the writer that
// waits for it, if any. 0 means nothing to wait for.
func (rq *request) noteCommit(pos uint64) {
	if n, ok := rq.w.(commitNoter); ok {
		n.noteCommit(pos)
	}
}

func (rq *request) serve() error {
	rt, err := parseRoute(rq.r.URL)
	if err != nil {
		return err
	}
	rq.rt = rt
	if err := rq.s.authorize(rq.r, rt); err != nil {
		return err
	}
	return rq.dispatch()
}

func (rq *request) dispatch() error {
	m := rq.r.Method
	switch rq.rt.kind {
	case routeAccount:
		return rq.allow(m == http.MethodGet, rq.serveAccount)
	case routeDatabases:
		return rq.allow(m == http.MethodPost || m == http.MethodGet, rq.serveDatabases)
	case routeDatabase:
		return rq.allow(m == http.MethodGet || m == http.MethodDelete, rq.serveDatabase)
	case routeContainers:
		return rq.allow(m == http.MethodPost || m == http.MethodGet, rq.serveContainers)
	case routeContainer:
		ok := m == http.MethodGet || m == http.MethodPut || m == http.MethodDelete
		return rq.allow(ok, rq.serveContainer)
	case routeItems:
		return rq.allow(m == http.MethodPost || m == http.MethodGet, rq.serveItems)
	case routeItem:
		ok := m == http.MethodGet || m == http.MethodPut || m == http.MethodDelete ||
			m == http.MethodPatch
		return rq.allow(ok, rq.serveItem)
	case routePKRanges:
		return rq.allow(m == http.MethodGet, rq.servePKRanges)
	case routeOffers:
		rq.s.serveOffers(rq.w, rq.r)
		return nil
	}
	return notFound("unknown resource")
}

func (rq *request) allow(ok bool, serve func() error) error {
	if !ok {
		return newError(kindMethodNotAllowed, "method %s is not supported on %s",
			rq.r.Method, rq.r.URL.EscapedPath())
	}
	return serve()
}

// fail answers err. A failed request still charges request units, as the service does.
func (rq *request) fail(err error) {
	if rq.charge == 0 {
		rq.charge = chargeFailed
	}
	var e *Error
	if errors.As(err, &e) && e.kind == kindTooManyRequests {
		rq.charge = 0
	}
	rq.setCharge()
	writeError(rq.w, err)
}

func (rq *request) setCharge() {
	rq.w.Header().Set(hdrRequestCharge, strconv.FormatFloat(rq.charge, 'f', 2, 64))
}

// reply writes a successful response with the request charge; a nil body writes none.
func (rq *request) reply(status int, body []byte) {
	rq.setCharge()
	h := rq.w.Header()
	if body != nil {
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	rq.w.WriteHeader(status)
	if body != nil {
		_, _ = rq.w.Write(body)
	}
}

// activityID echoes the client's x-ms-activity-id or makes a new one.
func activityID(r *http.Request) string {
	if id := r.Header.Get(hdrActivityID); id != "" {
		return id
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", x[:8], x[8:12], x[12:16], x[16:20], x[20:])
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
