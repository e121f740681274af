package backend

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/detect"
	"github.com/stampede-load/stampede/backend/store"
)

// TenantSpec describes a tenant to onboard.
type TenantSpec struct {
	// ID names the tenant: 1..128 bytes of [A-Za-z0-9._-] (the wire protocol's alphabet).
	ID string `json:"id"`
	// Sensors are the ids of the tenant's sensors; each gets its own token.
	Sensors []string `json:"sensors"`
	// WorkStart and WorkEnd bound the tenant's working hours, local hours of day 0..24
	// (default 8 and 18). The elastic scaler scales down outside them.
	WorkStart int `json:"workStart"`
	WorkEnd   int `json:"workEnd"`
	// UTCOffsetHours is the tenant's time zone offset from UTC (-12..14).
	UTCOffsetHours int `json:"utcOffsetHours"`
}

// Validate reports every invalid field.
func (s TenantSpec) Validate() error {
	var errs []error
	if !validID(s.ID) {
		errs = append(errs, fmt.Errorf("tenant id %q: want 1..128 bytes of [A-Za-z0-9._-]", s.ID))
	}
	seen := map[string]bool{}
	for i, sensor := range s.Sensors {
		if !validID(sensor) {
			errs = append(errs, fmt.Errorf("tenant %q: sensors[%d] %q: want 1..128 bytes of "+
				"[A-Za-z0-9._-]", s.ID, i, sensor))
		}
		if seen[sensor] {
			errs = append(errs, fmt.Errorf("tenant %q: sensors[%d] %q: duplicate", s.ID, i, sensor))
		}
		seen[sensor] = true
	}
	if s.WorkStart < 0 || s.WorkEnd > 24 || s.WorkStart > s.WorkEnd {
		errs = append(errs, fmt.Errorf("tenant %q: working hours %d..%d: want 0 <= start <= end <= 24",
			s.ID, s.WorkStart, s.WorkEnd))
	}
	if s.UTCOffsetHours < -12 || s.UTCOffsetHours > 14 {
		errs = append(errs, fmt.Errorf("tenant %q: UTCOffsetHours %d: want -12..14", s.ID, s.UTCOffsetHours))
	}
	return errors.Join(errs...)
}

func (s TenantSpec) withDefaults() TenantSpec {
	if s.WorkStart == 0 && s.WorkEnd == 0 {
		s.WorkStart, s.WorkEnd = 8, 18
	}
	return s
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' ||
			c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// TenantInfo is what onboarding returns: where the tenant lives and its sensors' tokens.
type TenantInfo struct {
	ID       string `json:"id"`
	Database string `json:"database"`
	// Tokens maps each sensor id to the bearer token it must send. Only the SHA-256 of a
	// token is stored; the token itself is returned here once.
	Tokens map[string]string `json:"tokens"`
}

// sensorRef is who a token belongs to.
type sensorRef struct {
	tenant *tenant
	sensor string
}

// tenant is a tenant's in-process state.
type tenant struct {
	id       string
	database string
	spec     TenantSpec
	engine   *detect.Engine
	dedupe   dedupe
	acked    atomic.Int64 // events acknowledged
	batches  atomic.Int64 // batches acknowledged

	// detectMu guards the batches waiting for the detection rules; detecting counts their
	// events until observed (admission bounds it like Backend.queued).
	detectMu      sync.Mutex
	detectPending []work
	detectRunning bool
	detecting     atomic.Int64

	alertMu      sync.Mutex
	alertFlushed map[string]int64        // detections already stored, per alert id
	alertBacklog map[string]detect.Alert // alerts whose last store failed
}

func (b *Backend) newTenant(spec TenantSpec) (*tenant, error) {
	eng, err := detect.New(b.cfg.Detect)
	if err != nil {
		return nil, err
	}
	return &tenant{id: spec.ID, database: b.database(spec.ID), spec: spec, engine: eng,
		alertFlushed: map[string]int64{}}, nil
}

// detect hands an admitted batch to the tenant's detection rules and returns at once. The
// rules hold the engine's lock for a whole batch; run on the ingest request, every request
// of the tenant queued behind it (the largest wait on the ingest path end to end). One
// goroutine at a time, started when the queue becomes non-empty and ending when it is empty,
// observes the batches in admission order; src (nil when not pooled) is held until then.
func (t *tenant) detect(events []api.Event, src *sharedBatch) {
	src.hold()
	t.detecting.Add(int64(len(events)))
	t.detectMu.Lock()
	t.detectPending = append(t.detectPending, work{events: events, src: src})
	start := !t.detectRunning
	t.detectRunning = true
	t.detectMu.Unlock()
	if start {
		go t.observeQueued()
	}
}

// observeQueued feeds the queued batches to the engine until the queue is empty.
func (t *tenant) observeQueued() {
	var batch []work
	for {
		t.detectMu.Lock()
		batch, t.detectPending = t.detectPending, batch[:0]
		if len(batch) == 0 {
			t.detectRunning = false
			t.detectMu.Unlock()
			return
		}
		t.detectMu.Unlock()
		for i, w := range batch {
			t.engine.ObserveAll(w.events)
			t.detecting.Add(-int64(len(w.events)))
			w.src.release()
			batch[i] = work{}
			yieldToRequests()
		}
	}
}

// tenantDoc and sensorDoc are the SystemEntity documents (partition key /kind).
type tenantDoc struct {
	ID             string    `json:"id"`
	Kind           string    `json:"kind"`
	SchemaVersion  int       `json:"schemaVersion"`
	Tenant         string    `json:"tenant"`
	WorkStart      int       `json:"workStart"`
	WorkEnd        int       `json:"workEnd"`
	UTCOffsetHours int       `json:"utcOffsetHours"`
	Sensors        int       `json:"sensors"`
	Created        time.Time `json:"created"`
}

type sensorDoc struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	SchemaVersion int    `json:"schemaVersion"`
	Sensor        string `json:"sensor"`
	TokenSHA256   string `json:"tokenSha256"`
}

// Onboard creates the tenant's database and containers (idempotent), stores its
// configuration and one token per sensor in SystemEntity, and starts accepting its sensors.
// Onboarding a tenant again issues new tokens for the sensors listed and keeps old ones valid.
func (b *Backend) Onboard(ctx context.Context, spec TenantSpec) (TenantInfo, error) {
	if err := spec.Validate(); err != nil {
		return TenantInfo{}, err
	}
	spec = spec.withDefaults()
	t, err := b.newTenant(spec)
	if err != nil {
		return TenantInfo{}, err
	}
	if err := store.CreateTenant(ctx, b.client(), t.database, b.cfg.throughput()); err != nil {
		return TenantInfo{}, fmt.Errorf("onboard %s: %w", spec.ID, err)
	}
	sys, err := b.client().NewContainer(t.database, store.SystemEntity)
	if err != nil {
		return TenantInfo{}, err
	}
	doc := tenantDoc{ID: "tenant", Kind: "tenant", SchemaVersion: 1, Tenant: spec.ID,
		WorkStart: spec.WorkStart, WorkEnd: spec.WorkEnd, UTCOffsetHours: spec.UTCOffsetHours,
		Sensors: len(spec.Sensors), Created: b.cfg.Now().UTC()}
	if err := upsertJSON(ctx, sys, "tenant", doc); err != nil {
		return TenantInfo{}, fmt.Errorf("onboard %s: %w", spec.ID, err)
	}
	info := TenantInfo{ID: spec.ID, Database: t.database, Tokens: map[string]string{}}
	hashes := map[[32]byte]string{}
	mirrored := map[string][]any{"tenant": {doc}}
	for _, sensor := range spec.Sensors {
		token := newToken()
		h := tokenHash(token)
		sd := sensorDoc{ID: "sensor:" + sensor, Kind: "sensor", SchemaVersion: 1, Sensor: sensor,
			TokenSHA256: hex.EncodeToString(h[:])}
		if err := upsertJSON(ctx, sys, "sensor", sd); err != nil {
			return TenantInfo{}, fmt.Errorf("onboard %s: sensor %s: %w", spec.ID, sensor, err)
		}
		info.Tokens[sensor] = token
		hashes[h] = sensor
		mirrored["sensor"] = append(mirrored["sensor"], sd)
	}
	if err := b.mirrorDocs(ctx, t.database, mirrored); err != nil {
		return TenantInfo{}, fmt.Errorf("onboard %s: %w", spec.ID, err)
	}
	t = b.register(t, hashes)
	if b.scale != nil {
		b.scale.registerTenant(ctx, t)
	}
	b.log.Info("tenant onboarded", "tenant", spec.ID, "sensors", len(spec.Sensors))
	return info, nil
}

// register adds t (or keeps the existing tenant of that id) and its sensors' token hashes.
func (b *Backend) register(t *tenant, hashes map[[32]byte]string) *tenant {
	b.mu.Lock()
	defer b.mu.Unlock()
	if old, ok := b.tenants[t.id]; ok {
		t = old
	} else {
		b.tenants[t.id] = t
	}
	for h, sensor := range hashes {
		b.tokens[h] = sensorRef{tenant: t, sensor: sensor}
	}
	return t
}

// Offboard stops accepting the tenant's sensors, discards its unflushed state and deletes its
// database with everything in it.
func (b *Backend) Offboard(ctx context.Context, tenantID string) error {
	b.mu.Lock()
	t := b.tenants[tenantID]
	delete(b.tenants, tenantID)
	for h, ref := range b.tokens {
		if ref.tenant == t {
			delete(b.tokens, h)
		}
	}
	b.mu.Unlock()
	if t != nil {
		for _, n := range b.nodes {
			n.forget(t)
		}
	}
	if err := store.DeleteTenant(ctx, b.client(), b.database(tenantID)); err != nil {
		return fmt.Errorf("offboard %s: %w", tenantID, err)
	}
	if err := b.deleteMirror(ctx, b.database(tenantID)); err != nil {
		return fmt.Errorf("offboard %s: %w", tenantID, err)
	}
	b.log.Info("tenant offboarded", "tenant", tenantID)
	return nil
}

// Tenants returns the ids of the tenants the backend serves.
func (b *Backend) Tenants() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	ids := make([]string, 0, len(b.tenants))
	for id := range b.tenants {
		ids = append(ids, id)
	}
	return ids
}

func (b *Backend) tenantList() []*tenant {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]*tenant, 0, len(b.tenants))
	for _, t := range b.tenants {
		out = append(out, t)
	}
	return out
}

// loadTenants finds the tenants already in the account (databases with the prefix and a
// tenant document) and loads their sensors' token hashes.
func (b *Backend) loadTenants(ctx context.Context) error {
	dbs, err := store.ListDatabases(ctx, b.client())
	if err != nil {
		return fmt.Errorf("load tenants: %w", err)
	}
	for _, db := range dbs {
		if !strings.HasPrefix(db, b.cfg.DatabasePrefix) {
			continue
		}
		if err := b.loadTenant(ctx, db); err != nil {
			return fmt.Errorf("load tenants: %w", err)
		}
	}
	return nil
}

func (b *Backend) loadTenant(ctx context.Context, db string) error {
	sys, err := b.client().NewContainer(db, store.SystemEntity)
	if err != nil {
		return err
	}
	resp, err := sys.ReadItem(ctx, azcosmos.NewPartitionKeyString("tenant"), "tenant", nil)
	if code := store.StatusCode(err); code == http.StatusNotFound {
		return nil // not a tenant database
	} else if err != nil {
		return fmt.Errorf("read tenant of %s: %w", db, err)
	}
	var td tenantDoc
	if err := json.Unmarshal(resp.Value, &td); err != nil {
		return fmt.Errorf("tenant document of %s: %w", db, err)
	}
	spec := TenantSpec{ID: td.Tenant, WorkStart: td.WorkStart, WorkEnd: td.WorkEnd,
		UTCOffsetHours: td.UTCOffsetHours}
	t, err := b.newTenant(spec)
	if err != nil {
		return err
	}
	hashes := map[[32]byte]string{}
	_, err = store.Scan(ctx, sys, "SELECT * FROM c WHERE c.kind = 'sensor'", nil, func(raw []byte) error {
		var sd sensorDoc
		if err := json.Unmarshal(raw, &sd); err != nil {
			return fmt.Errorf("sensor document in %s: %w", db, err)
		}
		var h [32]byte
		if n, err := hex.Decode(h[:], []byte(sd.TokenSHA256)); err != nil || n != 32 {
			return fmt.Errorf("sensor %s in %s: bad tokenSha256", sd.Sensor, db)
		}
		hashes[h] = sd.Sensor
		return nil
	})
	if err != nil {
		return err
	}
	b.register(t, hashes)
	return nil
}

func newToken() string {
	var buf [24]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}

// upsertJSON upserts v as a document with partition key value pk.
func upsertJSON(ctx context.Context, cc *azcosmos.ContainerClient, pk string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := cc.UpsertItem(ctx, azcosmos.NewPartitionKeyString(pk), body, nil); err != nil {
		return fmt.Errorf("upsert into %s: %w", cc.ID(), err)
	}
	return nil
}
