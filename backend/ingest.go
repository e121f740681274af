package backend

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/profile"
)

// overloadFactor times MaxDirty unflushed entities on a node makes ingest answer 503.
const overloadFactor = 4

var (
	decoders = sync.Pool{New: func() any { return new(api.Decoder) }}
	buffers  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// Handler returns the backend's HTTP API: POST api.IngestPath, GET /healthz (process up),
// GET /readyz (accepting batches), GET /metrics (Prometheus, when Config.Registerer is also a
// Gatherer, or a private registry when Registerer is nil), GET /v1/stats (Stats as JSON).
func (b *Backend) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+api.IngestPath, b.serveIngest)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !b.Ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	mux.HandleFunc("GET /v1/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(b.Stats())
	})
	mux.Handle("GET /metrics", b.metricsHandler())
	return mux
}

func (b *Backend) metricsHandler() http.Handler {
	if g, ok := b.cfg.Registerer.(prometheus.Gatherer); ok {
		return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
	}
	if b.cfg.Registerer == nil {
		reg := prometheus.NewRegistry()
		for _, c := range b.metrics.collectors {
			_ = reg.Register(c)
		}
		return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}
	return http.NotFoundHandler()
}

// rejection is an ingest answer other than 200.
type rejection struct {
	status     int
	title      string
	field      string
	err        error
	retryAfter int // seconds, for 429 and 503
}

func (b *Backend) serveIngest(w http.ResponseWriter, r *http.Request) {
	ack, rej := b.ingest(r)
	if rej != nil {
		b.reject(w, rej)
		return
	}
	w.Header().Set("Content-Type", api.ContentTypeJSON)
	_ = json.NewEncoder(w).Encode(ack)
}

func (b *Backend) reject(w http.ResponseWriter, rej *rejection) {
	switch rej.status {
	case http.StatusTooManyRequests:
		b.metrics.pushback429.Inc()
	case http.StatusServiceUnavailable:
		b.metrics.pushback503.Inc()
	default:
		b.metrics.batchesRejected.Inc()
	}
	if rej.retryAfter > 0 {
		w.Header().Set(api.HeaderRetryAfter, strconv.Itoa(rej.retryAfter))
	}
	p := api.Problem{Title: rej.title, Status: rej.status, Field: rej.field}
	if rej.err != nil {
		p.Detail = rej.err.Error()
	}
	w.Header().Set("Content-Type", api.ContentTypeProblem)
	w.WriteHeader(rej.status)
	_ = json.NewEncoder(w).Encode(p)
}

// ingest runs one batch through readiness, authentication, decoding, validation, tenant
// isolation, dedupe and admission, and enqueues it.
func (b *Backend) ingest(r *http.Request) (api.Ack, *rejection) {
	if !b.Ready() {
		return api.Ack{}, &rejection{status: http.StatusServiceUnavailable, title: "not ready", retryAfter: 1}
	}
	token, ok := api.TokenFromHeader(r.Header.Get(api.HeaderAuthorization))
	if !ok {
		return api.Ack{}, &rejection{status: http.StatusUnauthorized, title: "missing bearer token"}
	}
	b.mu.RLock()
	who, known := b.tokens[tokenHash(token)]
	b.mu.RUnlock()
	if !known {
		return api.Ack{}, &rejection{status: http.StatusUnauthorized, title: "unknown token"}
	}
	src, rej := b.readBatch(r)
	if rej != nil {
		return api.Ack{}, rej
	}
	batch := &src.Batch
	if batch.Tenant != who.tenant.id || batch.Sensor != who.sensor {
		src.release()
		return api.Ack{}, &rejection{status: http.StatusForbidden, title: "token of another sensor",
			field: "tenant", err: fmt.Errorf(
				"token belongs to sensor %q of tenant %q, batch names sensor %q of tenant %q",
				who.sensor, who.tenant.id, batch.Sensor, batch.Tenant)}
	}
	return b.admitShared(who.tenant, batch, src)
}

// readBatch reads, decompresses, decodes and validates the body.
func (b *Backend) readBatch(r *http.Request) (*sharedBatch, *rejection) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != api.ContentTypeJSON {
		return nil, &rejection{status: http.StatusUnsupportedMediaType, title: "unsupported content type",
			err: fmt.Errorf("Content-Type %q: want %s", r.Header.Get("Content-Type"), api.ContentTypeJSON)}
	}
	var body io.Reader = http.MaxBytesReader(nil, r.Body, api.MaxBodyBytes)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case api.EncodingGzip:
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, &rejection{status: http.StatusBadRequest, title: "invalid gzip body", err: err}
		}
		defer zr.Close()
		body = zr
	default:
		return nil, &rejection{status: http.StatusUnsupportedMediaType, title: "unsupported content encoding",
			err: fmt.Errorf("Content-Encoding %q: want %s or none", enc, api.EncodingGzip)}
	}
	buf := buffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); buffers.Put(buf) }()
	n, err := buf.ReadFrom(io.LimitReader(body, api.MaxBodyBytes+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || n > api.MaxBodyBytes {
		return nil, &rejection{status: http.StatusRequestEntityTooLarge, title: "body too large",
			err: fmt.Errorf("body over %d bytes", api.MaxBodyBytes)}
	}
	if err != nil {
		return nil, &rejection{status: http.StatusBadRequest, title: "unreadable body", err: err}
	}
	return decodeBatch(buf.Bytes())
}

// decodeBatch decodes and validates a body into a pooled batch held by the caller; events
// are copied out of the pooled decoder.
func decodeBatch(body []byte) (*sharedBatch, *rejection) {
	src := newSharedBatch()
	if rej := decodeInto(body, &src.Batch); rej != nil {
		src.release()
		return nil, rej
	}
	return src, nil
}

func decodeInto(body []byte, batch *api.Batch) *rejection {
	dec := decoders.Get().(*api.Decoder)
	defer decoders.Put(dec)
	if err := dec.DecodeBatch(body, batch); err != nil {
		return invalid(err)
	}
	if len(batch.Events) > api.MaxEventsPerBatch {
		return &rejection{status: http.StatusRequestEntityTooLarge, title: "too many events",
			field: "events", err: fmt.Errorf("%d events, more than %d", len(batch.Events), api.MaxEventsPerBatch)}
	}
	if err := batch.Validate(); err != nil {
		return invalid(err)
	}
	for i := range batch.Events {
		if _, ok := profile.Subject(&batch.Events[i]); !ok {
			return &rejection{status: http.StatusBadRequest, title: "invalid batch",
				field: fmt.Sprintf("events[%d]", i), err: errors.New("event names no entity (src, src_host or dst)")}
		}
	}
	return nil
}

// invalid maps a decode or validation error to a 400 naming the first offending field.
func invalid(err error) *rejection {
	rej := &rejection{status: http.StatusBadRequest, title: "invalid batch", err: err}
	var fe *api.FieldError
	var se *api.SyntaxError
	switch {
	case errors.As(err, &fe):
		rej.field = fe.Field
	case errors.As(err, &se):
		rej.field = se.Field
	}
	return rej
}

// admit dedupes the batch, applies back-pressure and hands the events to their nodes.
func (b *Backend) admit(t *tenant, batch *api.Batch) (api.Ack, *rejection) {
	return b.admitShared(t, batch, nil)
}

// admitShared is admit for a batch that src (nil when not pooled) holds: it gives up the
// caller's hold on src before returning, and each node the events go to holds src until
// it has folded them.
func (b *Backend) admitShared(t *tenant, batch *api.Batch, src *sharedBatch) (api.Ack, *rejection) {
	defer src.release()
	ack := api.Ack{BatchID: batch.ID}
	count := int64(len(batch.Events))
	for _, n := range b.nodes {
		if n.dirtyCount() >= overloadFactor*b.cfg.MaxDirty {
			return ack, behind(errors.New("too many unflushed entities; retry later"))
		}
	}
	full := false
	var late *rejection
	dup, accepted := t.dedupe.admit(batch.Sensor, batch.Sequence, func() bool {
		if late = b.storageBehind(); late != nil { // a duplicate is still acknowledged
			return false
		}
		if b.queued.Add(count) > int64(b.cfg.MaxQueuedEvents) ||
			t.detecting.Load()+count > int64(b.cfg.MaxQueuedEvents) {
			b.queued.Add(-count)
			full = true
			return false
		}
		return true
	})
	switch {
	case dup:
		b.metrics.batchesDuplicate.Inc()
		ack.Duplicate = true
		return ack, nil
	case late != nil:
		return ack, late
	case !accepted && full:
		return ack, &rejection{status: http.StatusTooManyRequests, title: "ingest queue full",
			err: errors.New("too many events waiting; retry later"), retryAfter: 1}
	}
	b.enqueue(t, batch.Events, src)
	t.acked.Add(count)
	t.batches.Add(1)
	b.metrics.batchesAccepted.Inc()
	b.metrics.eventsAcked.Add(float64(count))
	t.detect(batch.Events, src)
	ack.Accepted = len(batch.Events)
	return ack, nil
}

// storageBehind answers 503 when what is acknowledged and not stored is past a bound: too
// many unstored events, or unstored events older than Config.MaxUnstoredAge (flushes
// failing or far behind). Sensors retry the same batch later. It reads atomics only.
func (b *Backend) storageBehind() *rejection {
	var unstored int64
	oldestAllowed := b.wallNow().Add(-b.cfg.MaxUnstoredAge).UnixNano()
	for _, n := range b.nodes {
		if oldest := n.oldest.Load(); oldest != 0 && oldest < oldestAllowed {
			return behind(fmt.Errorf("acknowledged events unstored for more than %v; retry later",
				b.cfg.MaxUnstoredAge))
		}
		unstored += n.unstored.Load()
	}
	if unstored >= int64(b.cfg.MaxUnstoredEvents) {
		return behind(fmt.Errorf("%d acknowledged events not yet stored (bound %d); retry later",
			unstored, b.cfg.MaxUnstoredEvents))
	}
	return nil
}

func behind(err error) *rejection {
	return &rejection{status: http.StatusServiceUnavailable, title: "storage behind", err: err,
		retryAfter: 1}
}

// enqueue splits events by owning node and hands each node its share.
func (b *Backend) enqueue(t *tenant, events []api.Event, src *sharedBatch) {
	if len(b.nodes) == 1 {
		src.hold()
		b.nodes[0].push(work{t: t, events: events, src: src})
		return
	}
	shares := make([][]int32, len(b.nodes))
	for i := range events {
		ref, _ := profile.Subject(&events[i])
		n := nodeOf(ref, len(b.nodes))
		shares[n] = append(shares[n], int32(i))
	}
	for n, idx := range shares {
		if len(idx) > 0 {
			src.hold()
			b.nodes[n].push(work{t: t, events: events, idx: idx, src: src})
		}
	}
}
