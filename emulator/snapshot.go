package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/stampede-load/stampede/emulator/query"
)

// maxSnapshotBytes bounds the memory all query snapshots may hold together.
const maxSnapshotBytes = 256 << 20

// snapshot is the full result of a non-streamable query (ORDER BY, GROUP BY, aggregates,
// DISTINCT, OFFSET/LIMIT), kept so later pages read the same rows.
type snapshot struct {
	id       string
	rows     [][]byte
	bytes    int
	lastUsed time.Time
}

// snapshotCache holds query snapshots, bounded in count and bytes (oldest evicted first)
// and expiring after ttl without use. A page whose snapshot is gone re-runs the query and
// skips the rows already returned.
type snapshotCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	bytes int
	byID  map[string]*snapshot
	order []*snapshot // oldest first
}

func newSnapshotCache(maxCount int, ttl time.Duration) *snapshotCache {
	return &snapshotCache{max: maxCount, ttl: ttl, byID: map[string]*snapshot{}}
}

func (sc *snapshotCache) put(rows [][]byte, now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	s := &snapshot{id: hex.EncodeToString(b[:]), rows: rows, lastUsed: now}
	for _, r := range rows {
		s.bytes += len(r)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.expire(now)
	for len(sc.order) > 0 && (len(sc.order) >= sc.max || sc.bytes+s.bytes > maxSnapshotBytes) {
		sc.drop(sc.order[0])
	}
	if s.bytes <= maxSnapshotBytes {
		sc.byID[s.id] = s
		sc.order = append(sc.order, s)
		sc.bytes += s.bytes
	}
	return s.id
}

func (sc *snapshotCache) get(id string, now time.Time) *snapshot {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.expire(now)
	s := sc.byID[id]
	if s != nil {
		s.lastUsed = now
	}
	return s
}

// release forgets a snapshot whose last page was read.
func (sc *snapshotCache) release(id string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if s := sc.byID[id]; s != nil {
		sc.drop(s)
	}
}

func (sc *snapshotCache) expire(now time.Time) {
	for i := 0; i < len(sc.order); {
		if s := sc.order[i]; now.Sub(s.lastUsed) > sc.ttl {
			sc.drop(s)
			continue
		}
		i++
	}
}

func (sc *snapshotCache) drop(s *snapshot) {
	delete(sc.byID, s.id)
	sc.bytes -= s.bytes
	for i, o := range sc.order {
		if o == s {
			sc.order = append(sc.order[:i], sc.order[i+1:]...)
			break
		}
	}
}

// snapshotPage answers a page of a non-streamable query from its snapshot, running the
// query over the whole scope on the first page (or when the snapshot has expired).
func (rq *request) snapshotPage(b *query.Bound, sc queryScope, pageItems int) (page, error) {
	pg := page{first: true}
	tok := streamToken{Version: tokenVersion}
	if s := rq.header(hdrContinuation); s != "" {
		t, err := parseToken(s)
		if err != nil {
			return pg, err
		}
		tok, pg.first = t, false
	}
	wall := time.Now()
	snap := rq.s.snapshots.get(tok.Snapshot, wall)
	if snap == nil {
		rows, evaluated, err := executeScope(b, sc, rq.s.now().Unix())
		if err != nil {
			return pg, err
		}
		pg.evaluated = evaluated
		snap = &snapshot{rows: rows}
		snap.id = rq.s.snapshots.put(rows, wall)
	}
	start := min(tok.Offset, len(snap.rows))
	end, bytes := start, 0
	for end < len(snap.rows) && end-start < pageItems && bytes < maxPageBytes {
		bytes += len(snap.rows[end])
		end++
	}
	pg.rows = snap.rows[start:end]
	if end < len(snap.rows) {
		pg.continuation = streamToken{Version: tokenVersion, Snapshot: snap.id,
			Offset: end}.encode()
	} else {
		rq.s.snapshots.release(snap.id)
	}
	return pg, nil
}

// executeScope runs the whole query pipeline over every live document of the scope. The
// documents are decoded one at a time as the engine asks for them, so an aggregate over a
// large container holds one decoded document at a time, not all of them.
func executeScope(b *query.Bound, sc queryScope, now int64) ([][]byte, int, error) {
	var items []*item
	for _, p := range sc.parts {
		p.mu.RLock()
		for _, s := range p.order {
			if sc.matches(s.cur, now) {
				items = append(items, s.cur)
			}
		}
		p.mu.RUnlock()
	}
	var decodeErr error
	rows, err := b.Execute(func(yield func(any) bool) {
		for _, it := range items {
			d, err := decodeDoc(it.body)
			if err != nil {
				decodeErr = err
				return
			}
			if !yield(d) {
				return
			}
		}
	})
	if decodeErr != nil {
		return nil, 0, decodeErr
	}
	if err != nil {
		return nil, 0, queryError(err)
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		if out[i], err = encodeRow(r, nil, nil); err != nil {
			return nil, 0, err
		}
	}
	return out, len(items), nil
}
