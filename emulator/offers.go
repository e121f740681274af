package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// Response headers of the offers resource.
const (
	hdrOfferReplacePending = "x-ms-offer-replace-pending"
	hdrOfferMinThroughput  = "x-ms-cosmos-min-throughput"
)

// offerDoc is an offer as the service shows it (offerVersion V2). _rid equals id, as the
// SDK assumes when it writes the offer back.
type offerDoc struct {
	ID              string       `json:"id"`
	RID             string       `json:"_rid"`
	Self            string       `json:"_self"`
	ETag            string       `json:"_etag"`
	TS              int64        `json:"_ts"`
	OfferVersion    string       `json:"offerVersion"`
	OfferType       string       `json:"offerType"`
	Resource        string       `json:"resource"`
	OfferResourceID string       `json:"offerResourceId"`
	Content         offerContent `json:"content"`
}

type offerContent struct {
	OfferThroughput *int               `json:"offerThroughput,omitempty"`
	Autopilot       *autopilotSettings `json:"offerAutopilotSettings,omitempty"`
}

type autopilotSettings struct {
	MaxThroughput int `json:"maxThroughput"`
}

func contentOf(o throughput.Offer) offerContent {
	if o.IsAutoscale() {
		return offerContent{Autopilot: &autopilotSettings{MaxThroughput: o.AutoscaleMax}}
	}
	ru := o.Throughput
	return offerContent{OfferThroughput: &ru}
}

func (c offerContent) offer() (throughput.Offer, error) {
	switch {
	case c.OfferThroughput != nil && c.Autopilot != nil:
		return throughput.Offer{}, badRequest("offer content sets both offerThroughput and " +
			"offerAutopilotSettings; set one")
	case c.Autopilot != nil:
		return throughput.Autoscale(c.Autopilot.MaxThroughput), nil
	case c.OfferThroughput != nil:
		return throughput.Manual(*c.OfferThroughput), nil
	}
	return throughput.Offer{}, badRequest("offer content needs offerThroughput or " +
		"offerAutopilotSettings.maxThroughput")
}

// offerTarget is a resource that holds an offer.
type offerTarget struct {
	target   throughput.Target
	rid      string
	resource string // the resource's _self
}

// serveOffers answers the offers resource: the offer query and read feed (/offers) and
// read and replace of one offer (/offers/{id}).
func (s *Server) serveOffers(w http.ResponseWriter, r *http.Request) {
	rq := &request{s: s, w: w, r: r}
	if err := rq.serveOffer(); err != nil {
		rq.fail(err)
	}
}

func (rq *request) serveOffer() error {
	id := strings.Trim(strings.TrimPrefix(strings.Trim(rq.r.URL.EscapedPath(), "/"), "offers"),
		"/")
	m := rq.r.Method
	switch {
	case id == "" && (m == http.MethodGet || m == http.MethodPost):
		return rq.listOffers()
	case id != "" && m == http.MethodGet:
		return rq.readOffer(id)
	case id != "" && m == http.MethodPut:
		return rq.replaceOffer(id)
	}
	return newError(kindMethodNotAllowed, "method %s is not supported on %s", m,
		rq.r.URL.EscapedPath())
}

func (rq *request) listOffers() error {
	var docs [][]byte
	for _, t := range rq.s.offerTargets() {
		if doc, _, ok := rq.s.offerDocument(t); ok {
			b, _ := json.Marshal(doc)
			docs = append(docs, b)
		}
	}
	return rq.replyMetadataFeed("", "Offers", docs)
}

func (rq *request) readOffer(id string) error {
	t, err := rq.s.offerByID(id)
	if err != nil {
		return err
	}
	doc, info, ok := rq.s.offerDocument(t)
	if !ok {
		return notFound("offer %q does not exist", id)
	}
	rq.charge = chargeMetadataRead
	if rq.notModified(doc.ETag) {
		rq.reply(http.StatusNotModified, nil)
		return nil
	}
	return rq.replyOffer(doc, info)
}

func (rq *request) replaceOffer(id string) error {
	t, err := rq.s.offerByID(id)
	if err != nil {
		return err
	}
	current, _, ok := rq.s.offerDocument(t)
	if !ok {
		return notFound("offer %q does not exist", id)
	}
	if err := rq.checkIfMatch(current.ETag); err != nil {
		return err
	}
	var in offerDoc
	if err := rq.decodeBody("offer", &in); err != nil {
		return err
	}
	o, err := in.Content.offer()
	if err != nil {
		return err
	}
	if err := rq.s.replaceOffer(t.target, o); err != nil {
		return offerError(err)
	}
	rq.s.bumpOfferVersion(current.ID)
	doc, info, _ := rq.s.offerDocument(t)
	rq.charge = chargeMetadataWrite
	return rq.replyOffer(doc, info)
}

// offerError maps an engine refusal to the service's answer.
func offerError(err error) error {
	switch {
	case errors.Is(err, throughput.ErrInvalidOffer):
		return badRequest("%v", err)
	case errors.Is(err, throughput.ErrConflict):
		// The service refuses a throughput change while a previous one is in progress
		// with 423 Locked ("another scaling operation is in progress").
		return newError(kindLocked, "another scaling operation is in progress: %v", err)
	case errors.Is(err, throughput.ErrNotFound):
		return notFound("%v", err)
	}
	return err
}

func (rq *request) replyOffer(doc offerDoc, info throughput.OfferInfo) error {
	h := rq.w.Header()
	h.Set(hdrETag, doc.ETag)
	h.Set(hdrOfferReplacePending, strconv.FormatBool(info.Pending != nil))
	minimum := info.MinThroughput
	if info.Offer.IsAutoscale() {
		minimum = info.MinAutoscaleMax
	}
	h.Set(hdrOfferMinThroughput, strconv.Itoa(minimum))
	b, _ := json.Marshal(doc)
	rq.reply(http.StatusOK, b)
	return nil
}

// offerTargets lists the store's databases and containers, registered with the engine.
func (s *Server) offerTargets() []offerTarget {
	now := s.now()
	var out []offerTarget
	for _, c := range s.allContainers() {
		s.registerContainer(c, now)
		out = append(out, offerTarget{throughput.Target{Database: c.db.id, Container: c.id},
			c.rid, c.self()})
	}
	dbs := s.allDatabases()
	s.tp.mu.Lock()
	defer s.tp.mu.Unlock()
	for _, d := range dbs {
		s.registerDatabaseLocked(d, now)
		out = append(out, offerTarget{throughput.Target{Database: d.id}, d.rid, d.self()})
	}
	return out
}

// offerByID finds the resource an offer id belongs to.
func (s *Server) offerByID(id string) (offerTarget, error) {
	s.tp.mu.Lock()
	rid, ok := s.tp.offerIDs[id]
	s.tp.mu.Unlock()
	if ok {
		for _, t := range s.offerTargets() {
			if t.rid == rid {
				return t, nil
			}
		}
	}
	return offerTarget{}, notFound("offer %q does not exist", id)
}

// offerDocument renders the offer of t; ok is false when t holds none (a container that
// shares its database's throughput, or a database without shared throughput). While a
// replacement is pending, the content shows the new offer.
func (s *Server) offerDocument(t offerTarget) (offerDoc, throughput.OfferInfo, bool) {
	info, err := s.tp.engine.Offer(t.target)
	if err != nil || info.RID != t.rid {
		return offerDoc{}, info, false
	}
	id, version := s.offerID(t.rid)
	shown := info.Offer
	if info.Pending != nil {
		shown = *info.Pending
	}
	return offerDoc{
		ID: id, RID: id, Self: "offers/" + id + "/", ETag: etagFor(version),
		TS: info.Changed.Unix(), OfferVersion: "V2", OfferType: "Invalid",
		Resource: t.resource, OfferResourceID: t.rid, Content: contentOf(shown),
	}, info, true
}

// offerID returns the offer id of the resource with _rid rid, assigning one on first use,
// and the offer's version (replacements so far).
func (s *Server) offerID(rid string) (string, int64) {
	tp := s.tp
	tp.mu.Lock()
	defer tp.mu.Unlock()
	id, ok := tp.offerOf[rid]
	if !ok {
		tp.nextOffer++
		id = "of" + strconv.FormatInt(tp.nextOffer, 36)
		tp.offerOf[rid], tp.offerIDs[id] = id, rid
		tp.versions[id] = 1
	}
	return id, tp.versions[id]
}

func (s *Server) bumpOfferVersion(id string) {
	s.tp.mu.Lock()
	s.tp.versions[id]++
	s.tp.mu.Unlock()
}
