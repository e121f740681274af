package emulator

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSnapshotBytes is how much write-ahead log accumulates before a snapshot bounds
// recovery again.
const DefaultSnapshotBytes = 256 << 20

// durableLog makes acknowledged writes survive a crash: a write-ahead log with group commit
// plus periodic fuzzy snapshots, the design of most embedded databases.
//
//   - Every committed write is encoded into an in-memory buffer in commit order (per
//     partition, under the partition lock). One flusher writes the buffer and fsyncs it;
//     writes that arrive during an fsync go out together in the next one (group commit).
//     A write is answered only once the fsync covering it has returned.
//   - Metadata writes log the whole metadata (it is small) the same way.
//   - When the log passes SnapshotBytes, the flusher starts a new segment and a snapshot
//     is written from the live store (partition by partition, each under its read lock,
//     with its LSN). Recovery loads the newest complete snapshot, then replays every later
//     segment, skipping writes a partition's snapshot already holds (LSN at or below it),
//     so the snapshot need not be a consistent cut. Older files are then removed.
//   - Frames carry a CRC-32C; recovery stops a segment at the first torn frame (the crash).
//   - Segments are prepared ahead of time at full size with written zeros, so a sync only
//     flushes data (see durable_segment.go); a full segment moves on to the next generation.
//
// Files: wal-<gen>.log, snapshot-<gen>.bin (written as .tmp, then renamed), and spare
// segments spare-<n>.log (spare-<n>.tmp while prepared).
type durableLog struct {
	dir           string
	snapshotBytes int64
	log           *slog.Logger
	// source is the store snapshots are taken from (the write region's).
	source func() *store
	// merged, when set, writes snapshots instead: every region's documents merged by
	// last-writer-wins (multi-region writes, where each region logs its own writes).
	merged func(io.Writer) (int, error)

	mu  sync.Mutex
	buf []byte
	// appended counts the writes appended (changed under mu; position reads it without).
	appended atomic.Uint64
	// safeLen and safePos mark the end of the last whole transactional batch in buf (and
	// its position); openTx are the partitions with a batch still being appended.
	safeLen int
	safePos uint64
	openTx  map[PartitionRef]bool
	wake    chan struct{}
	// free is a written buffer handed back by the flusher for the next one.
	free []byte

	flushed atomic.Uint64
	notify  syncNotify
	failure atomic.Pointer[error]

	// fmu guards the open segment; the flusher and rotation take it.
	fmu sync.Mutex
	f   *os.File
	gen int
	// size is the open segment's length; allocated is how much of it is preallocated when
	// it is not prepared (a plain growing segment).
	size      atomic.Int64
	allocated int64
	prepared  bool
	// segmentBytes is the size segments are prepared at and roll over at.
	segmentBytes int64
	// logBytes is how much log was written since the last snapshot began.
	logBytes atomic.Int64
	// syncs counts the syncs of the log and syncTime adds up their duration.
	syncs    atomic.Int64
	syncTime atomic.Int64

	spareMu sync.Mutex
	spares  spareFiles

	snapshotting atomic.Bool
	stop         chan struct{}
	wg           sync.WaitGroup
}

// openDurable recovers dir into st (which must be empty and have no commit hook yet) and
// opens a new log segment for appending. With lww, the log is replayed by last-writer-wins
// (it was written with multi-region writes); nil replays it in order.
func openDurable(dir string, snapshotBytes int64, logger *slog.Logger, st *store,
	lww *lwwReplay,
) (*durableLog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	l := &durableLog{dir: dir, snapshotBytes: snapshotBytes, log: logger,
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	l.notify.init()
	l.segmentBytes = segmentSize(snapshotBytes)
	start := time.Now()
	top, stats, err := recoverDir(dir, st, lww)
	if err != nil {
		return nil, fmt.Errorf("recover %s: %w", dir, err)
	}
	if l.spares, err = findSpares(dir, l.segmentBytes); err != nil {
		return nil, err
	}
	if err := l.openSegment(top + 1); err != nil {
		return nil, err
	}
	logger.Info("data dir recovered", "dir", dir, "documents", stats.docs,
		"log_writes", stats.replayed, "duration", time.Since(start).Round(time.Millisecond))
	l.wg.Add(2)
	go l.flushLoop()
	go l.prepareLoop()
	return l, nil
}

func segmentName(kind string, gen int) string {
	ext := ".log"
	if kind == "snapshot" {
		ext = ".bin"
	}
	return fmt.Sprintf("%s-%08d%s", kind, gen, ext)
}

// openSegment starts segment gen: a prepared spare when one is ready, else a plain one.
// Caller holds fmu (or is opening the log).
func (l *durableLog) openSegment(gen int) error {
	path := filepath.Join(l.dir, segmentName("wal", gen))
	prepared := false
	if spare := l.takeSpare(); spare != "" {
		prepared = os.Rename(spare, path) == nil
	}
	flags := os.O_CREATE | os.O_WRONLY
	if !prepared {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return fmt.Errorf("open log segment: %w", err)
	}
	if err := syncDir(l.dir); err != nil {
		_ = f.Close()
		return err
	}
	l.f, l.gen, l.prepared, l.allocated = f, gen, prepared, 0
	l.size.Store(0)
	l.wakePreparer()
	return nil
}

// append logs one committed write and returns its position, the one to wait for before
// acknowledging it. Called by the commit hook under the partition lock.
func (l *durableLog) append(rec logRecord) uint64 {
	if rec.op == opSplit {
		return l.appendSplit(rec)
	}
	l.mu.Lock()
	l.buf = appendItemFrame(l.buf, rec.ref, rec.lsn, rec.op, rec.key, rec.item, rec.stamp,
		rec.prev)
	pos := l.appended.Add(1)
	l.trackTransaction(rec)
	l.mu.Unlock()
	l.signal()
	return pos
}

// appendSplit logs a partition split, ahead of every write to the new ranges (the split
// hands it over before the children take writes).
func (l *durableLog) appendSplit(rec logRecord) uint64 {
	payload, _ := json.Marshal(splitImage{Database: rec.ref.Database,
		Container: rec.ref.Container, RID: rec.ref.ContainerRID, RangeID: rec.ref.RangeID,
		Children: rec.split})
	l.mu.Lock()
	l.buf = appendFrame(l.buf, frameSplit, payload)
	pos := l.appended.Add(1)
	if len(l.openTx) == 0 {
		l.safeLen, l.safePos = len(l.buf), pos
	}
	l.mu.Unlock()
	l.signal()
	return pos
}

// trackTransaction keeps the point up to which the buffer may be written: never inside a
// transactional batch, so a crash leaves a batch on disk whole or not at all. Caller holds
// l.mu.
func (l *durableLog) trackTransaction(rec logRecord) {
	switch {
	case rec.more && !l.openTx[rec.ref]:
		if l.openTx == nil {
			l.openTx = map[PartitionRef]bool{}
		}
		l.openTx[rec.ref] = true
	case !rec.more && l.openTx[rec.ref]:
		delete(l.openTx, rec.ref)
	}
	if len(l.openTx) == 0 {
		l.safeLen, l.safePos = len(l.buf), l.appended.Load()
	}
}

// takeSafe removes and returns the writable part of the buffer and the position it
// reaches. Caller holds l.mu.
func (l *durableLog) takeSafe() ([]byte, uint64) {
	if l.safeLen == 0 {
		return nil, l.safePos
	}
	buf, pos := l.buf[:l.safeLen], l.safePos
	l.buf = append(l.free[:0], l.buf[l.safeLen:]...)
	l.free = nil
	l.safeLen = 0
	return buf, pos
}

// maxFreeBuffer bounds the written buffer kept for reuse.
const maxFreeBuffer = 8 << 20

// reuse hands a written buffer back for the next flush.
func (l *durableLog) reuse(buf []byte) {
	if cap(buf) > maxFreeBuffer {
		return
	}
	l.mu.Lock()
	l.free = buf[:0]
	l.mu.Unlock()
}

// appendMetadata logs the whole metadata of st and returns its position.
func (l *durableLog) appendMetadata(st *store) uint64 {
	payload, _ := json.Marshal(imageOf(st))
	l.mu.Lock()
	l.buf = appendFrame(l.buf, frameMetadata, payload)
	pos := l.appended.Add(1)
	if len(l.openTx) == 0 {
		l.safeLen, l.safePos = len(l.buf), l.appended.Load()
	}
	l.mu.Unlock()
	l.signal()
	return pos
}

func (l *durableLog) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// position is the number of writes appended so far.
func (l *durableLog) position() uint64 {
	return l.appended.Load()
}

// wait blocks until every write up to pos is on disk, the log failed, or ctx ends.
func (l *durableLog) wait(ctx context.Context, pos uint64) error {
	for {
		if l.flushed.Load() >= pos {
			return nil
		}
		ch := l.notify.channel(pos)
		if l.flushed.Load() >= pos {
			return nil
		}
		if err := l.failure.Load(); err != nil {
			return &Error{kind: kindServiceUnavailable, substatus: substatusServiceUnavailable,
				msg: "the write could not be made durable: " + (*err).Error()}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (l *durableLog) flushLoop() {
	defer l.wg.Done()
	for {
		select {
		case <-l.wake:
		case <-l.stop:
			l.flush()
			return
		}
		// Let the goroutines that are ready to run go first: most are requests about to
		// commit a write, which then goes out with this sync instead of the next. Under
		// load a sync covers about twice as many writes (fewer syncs, less CPU per write);
		// on an idle CPU this returns at once.
		runtime.Gosched()
		l.flush()
		due := l.snapshotBytes > 0 && l.logBytes.Load() > l.snapshotBytes
		if due && l.snapshotting.CompareAndSwap(false, true) {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				defer l.snapshotting.Store(false)
				if err := l.snapshot(l.source); err != nil {
					l.log.Error("snapshot failed; the log keeps growing", "err", err)
				}
			}()
		}
	}
}

// flush writes and fsyncs everything appended so far. It holds fmu from taking the buffer
// to its sync, so that a rotation cannot write later writes ahead of it.
func (l *durableLog) flush() {
	l.fmu.Lock()
	defer l.fmu.Unlock()
	l.mu.Lock()
	buf, pos := l.takeSafe()
	l.mu.Unlock()
	if len(buf) == 0 {
		return
	}
	l.notify.begin(pos)
	if err := l.writeSync(buf); err != nil {
		l.fail(err)
		return
	}
	l.advance(pos)
	l.reuse(buf)
}

// writeSync writes buf (whole frames) to the open segment and syncs it, moving to the next
// segment first when this one is full, or is a plain one and a prepared one is ready.
// Caller holds fmu.
//
// A plain segment is preallocated in large steps, so that most syncs do not have to
// record a new size; the unused tail (zeros) reads back as a torn frame and is ignored.
func (l *durableLog) writeSync(buf []byte) error {
	if len(buf) == 0 {
		return nil
	}
	off := l.size.Load()
	if (off > 0 && off+int64(len(buf)) > l.segmentBytes) || (!l.prepared && l.spareReady()) {
		if err := l.roll(); err != nil {
			return err
		}
		off = 0
	}
	if off == 0 {
		header := segmentHeader(l.gen)
		if _, err := l.f.WriteAt(header, 0); err != nil {
			return fmt.Errorf("write log: %w", err)
		}
		off = int64(len(header))
	}
	sealFrames(buf, segmentMask(l.gen))
	end := off + int64(len(buf))
	if !l.prepared && end > l.allocated {
		l.allocated = preallocate(l.f, end+l.segmentBytes)
	}
	if _, err := l.f.WriteAt(buf, off); err != nil {
		return fmt.Errorf("write log: %w", err)
	}
	start := time.Now()
	if err := syncData(l.f); err != nil {
		return fmt.Errorf("sync log: %w", err)
	}
	l.syncTime.Add(int64(time.Since(start)))
	l.syncs.Add(1)
	l.logBytes.Add(end - l.size.Load())
	l.size.Store(end)
	return nil
}

// roll closes the open segment (synced) and starts the next generation. Caller holds fmu.
func (l *durableLog) roll() error {
	if err := l.closeSegment(); err != nil {
		return err
	}
	return l.openSegment(l.gen + 1)
}

// closeSegment closes the open segment, cutting the preallocated tail of a plain one (a
// prepared one keeps its size, to be recycled). Caller holds fmu.
func (l *durableLog) closeSegment() error {
	if !l.prepared {
		if err := l.f.Truncate(l.size.Load()); err != nil {
			return fmt.Errorf("trim log segment: %w", err)
		}
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("close log segment: %w", err)
	}
	return nil
}

// advance records that every write up to pos is on disk and wakes their waiters.
func (l *durableLog) advance(pos uint64) {
	for {
		old := l.flushed.Load()
		if pos <= old || l.flushed.CompareAndSwap(old, pos) {
			break
		}
	}
	l.notify.end()
}

// fail stops acknowledging writes: every waiter, now and later, gets err.
func (l *durableLog) fail(err error) {
	if l.failure.CompareAndSwap(nil, &err) {
		l.log.Error("data dir write failed; writes are no longer acknowledged", "err", err)
	}
	l.notify.wakeAll()
}

// syncNotify wakes the waiters of a sync when it ends, and only them: a write appended
// while a sync is in progress waits for the next one, without waking when this one ends.
type syncNotify struct {
	mu sync.Mutex
	// inflight is the position the sync in progress reaches; covering is closed when it
	// ends, next when the sync after it ends.
	inflight uint64
	covering chan struct{}
	next     chan struct{}
}

func (n *syncNotify) init() {
	n.covering, n.next = make(chan struct{}), make(chan struct{})
	close(n.covering) // no sync in progress
}

// channel is closed when a sync reaching pos may have ended.
func (n *syncNotify) channel(pos uint64) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if pos <= n.inflight {
		return n.covering
	}
	return n.next
}

// begin notes that a sync reaching pos starts (the syncs are serialised by fmu).
func (n *syncNotify) begin(pos uint64) {
	n.mu.Lock()
	n.inflight = pos
	n.covering, n.next = n.next, make(chan struct{})
	n.mu.Unlock()
}

// end wakes the waiters of the sync that began last.
func (n *syncNotify) end() {
	n.mu.Lock()
	closeOnce(n.covering)
	n.mu.Unlock()
}

// wakeAll wakes every waiter, now and later (the log failed or closed).
func (n *syncNotify) wakeAll() {
	n.mu.Lock()
	n.inflight = ^uint64(0)
	closeOnce(n.covering)
	closeOnce(n.next)
	n.covering = n.next
	n.mu.Unlock()
}

// closeOnce closes ch unless it is closed. Caller holds the lock ch is swapped under.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// rotate flushes the open segment and starts the next; it returns the new generation.
func (l *durableLog) rotate() (int, error) {
	l.fmu.Lock()
	defer l.fmu.Unlock()
	l.mu.Lock()
	buf, pos := l.takeSafe()
	l.mu.Unlock()
	l.notify.begin(pos)
	err := l.writeSync(buf)
	if err == nil {
		err = l.roll()
	}
	if err != nil {
		// The writes taken are not on disk (or no segment is open): acknowledging a later
		// write would acknowledge them too.
		l.fail(err)
		return 0, err
	}
	l.logBytes.Store(0)
	l.advance(pos)
	return l.gen, nil
}

// snapshot writes a snapshot for a new generation, of the store source returns (or of
// every region, merged), and removes the files it replaces.
func (l *durableLog) snapshot(source func() *store) error {
	start := time.Now()
	gen, err := l.rotate()
	if err != nil {
		return err
	}
	encode := l.merged
	if encode == nil {
		st := source()
		encode = func(w io.Writer) (int, error) { return encodeSnapshot(w, st) }
	}
	docs, err := writeSnapshot(l.dir, gen, encode)
	if err != nil {
		return err
	}
	l.removeBefore(gen)
	l.log.Info("snapshot written", "generation", gen, "documents", docs,
		"duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// snapshotNow takes a snapshot of st (or of every region, merged) now, waiting for one in
// progress to finish first.
func (l *durableLog) snapshotNow(st *store) {
	for !l.snapshotting.CompareAndSwap(false, true) {
		time.Sleep(time.Millisecond)
	}
	defer l.snapshotting.Store(false)
	if err := l.snapshot(func() *store { return st }); err != nil {
		l.fail(err)
	}
}

// close flushes what is appended and closes the segment. It is not safe to append after.
func (l *durableLog) close() error {
	close(l.stop)
	l.wg.Wait()
	// A write that still commits (a request outliving shutdown) is never acknowledged.
	closed := errors.New("the data dir is closed")
	l.failure.CompareAndSwap(nil, &closed)
	l.notify.wakeAll()
	l.fmu.Lock()
	defer l.fmu.Unlock()
	// The last segment keeps no zero tail on disk: the next start opens a new one.
	l.prepared = false
	return l.closeSegment()
}

// writeSnapshot writes a snapshot with encode (metadata first, then every partition) to
// snapshot-<gen>.bin.
func writeSnapshot(dir string, gen int, encode func(io.Writer) (int, error)) (int, error) {
	tmp := filepath.Join(dir, segmentName("snapshot", gen)+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return 0, fmt.Errorf("create snapshot: %w", err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	docs, err := encode(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return 0, fmt.Errorf("write snapshot: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, segmentName("snapshot", gen))); err != nil {
		return 0, fmt.Errorf("publish snapshot: %w", err)
	}
	return docs, syncDir(dir)
}

// encodeSnapshot writes the metadata, then per partition its LSN frame and live versions.
func encodeSnapshot(w io.Writer, st *store) (int, error) {
	img, parts := imageWithPartitions(st)
	return encodeImage(w, img, parts)
}

// encodeImage writes img, then the documents of parts (by container rid) as of now.
func encodeImage(w io.Writer, img metaImage, parts map[string][]*partition) (int, error) {
	payload, _ := json.Marshal(img)
	if _, err := w.Write(appendFrame(nil, frameMetadata, payload)); err != nil {
		return 0, err
	}
	docs := 0
	var buf []byte
	for _, di := range img.DBs {
		for _, ci := range di.Colls {
			for _, p := range parts[ci.RID] {
				p.mu.RLock()
				lsn := p.lsn
				live := make([]*item, 0, len(p.items))
				for _, s := range p.order {
					if s.cur != nil {
						live = append(live, s.cur)
					}
				}
				p.mu.RUnlock()
				ref := p.ref()
				buf = appendPartitionFrame(buf[:0], ref, lsn)
				for _, it := range live {
					buf = appendItemFrame(buf, ref, it.lsn, opCreate, itemKey(it.pk, it.id), it,
						stampOf(it), writeStamp{})
					if len(buf) > 1<<20 {
						if _, err := w.Write(buf); err != nil {
							return docs, err
						}
						buf = buf[:0]
					}
				}
				if _, err := w.Write(buf); err != nil {
					return docs, err
				}
				docs += len(live)
			}
		}
	}
	return docs, nil
}

// framePartition starts a partition's documents in a snapshot and carries its LSN.
const framePartition byte = 3

func appendPartitionFrame(b []byte, ref PartitionRef, lsn int64) []byte {
	var p []byte
	p = appendString(p, ref.Database)
	p = appendString(p, ref.Container)
	p = appendString(p, ref.ContainerRID)
	p = appendString(p, ref.RangeID)
	p = binary.AppendVarint(p, lsn)
	return appendFrame(b, framePartition, p)
}

// recoveryStats counts what recovery loaded.
type recoveryStats struct{ docs, replayed int }

// recoverDir loads the newest snapshot and replays the later log segments into st, by
// last-writer-wins with lww. It returns the highest generation found.
func recoverDir(dir string, st *store, lww *lwwReplay) (int, recoveryStats, error) {
	var stats recoveryStats
	// Recovery only grows the heap: collect less often while it runs.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	snaps, wals, err := listGenerations(dir)
	if err != nil {
		return 0, stats, err
	}
	base := 0
	if len(snaps) > 0 {
		base = snaps[len(snaps)-1]
		path := filepath.Join(dir, segmentName("snapshot", base))
		if stats.docs, err = loadSnapshot(path, st, lww); err != nil {
			return 0, stats, err
		}
	}
	top := base
	for _, gen := range wals {
		top = max(top, gen)
		if gen < base {
			continue
		}
		n, err := replaySegment(filepath.Join(dir, segmentName("wal", gen)), gen, st, lww)
		stats.replayed += n
		if err != nil {
			return 0, stats, err
		}
	}
	return top, stats, nil
}

func listGenerations(dir string) (snaps, wals []int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("list data dir: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		kind, rest, ok := strings.Cut(name, "-")
		if !ok {
			continue
		}
		numText, ext, _ := strings.Cut(rest, ".")
		gen, err := strconv.Atoi(numText)
		switch {
		case err != nil:
		case kind == "snapshot" && ext == "bin":
			snaps = append(snaps, gen)
		case kind == "wal" && ext == "log":
			wals = append(wals, gen)
		}
	}
	slices.Sort(snaps)
	slices.Sort(wals)
	return snaps, wals, nil
}

// loadSnapshot fills st from a snapshot file (and lww's tombstones, when given).
func loadSnapshot(path string, st *store, lww *lwwReplay) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open snapshot: %w", err)
	}
	defer f.Close()
	fr := &frameReader{r: bufio.NewReaderSize(f, 1<<20)}
	ld := &snapshotLoader{st: st, lww: lww}
	for {
		kind, payload, err := fr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ld.docs, fmt.Errorf("snapshot %s at byte %d: %w", path, fr.off, err)
		}
		if err := ld.frame(kind, payload); err != nil {
			return ld.docs, fmt.Errorf("snapshot %s: %w", path, err)
		}
	}
	ld.finish()
	return ld.docs, nil
}

// snapshotLoader inserts a snapshot's versions straight into their partitions.
type snapshotLoader struct {
	dec  itemDecoder
	st   *store
	lww  *lwwReplay
	c    *container
	p    *partition
	lsn  int64
	docs int
}

func (ld *snapshotLoader) frame(kind byte, payload []byte) error {
	switch kind {
	case frameMetadata:
		var img metaImage
		if err := json.Unmarshal(payload, &img); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
		return restoreImage(ld.st, img)
	case framePartition:
		ld.finish()
		d := &decoder{b: payload}
		db, coll, rid, rangeID := string(d.bytes()), string(d.bytes()), string(d.bytes()),
			string(d.bytes())
		ld.lsn = d.varint()
		if d.err != nil {
			return d.err
		}
		ld.c = ld.st.containerByRID(db, coll, rid)
		if ld.c != nil {
			ld.p = ld.c.partitionByRange(rangeID)
		}
	case frameItem:
		if ld.p == nil {
			return nil
		}
		f, err := ld.dec.decode(payload)
		if err != nil {
			return err
		}
		it, err := ld.dec.item(&f)
		if err != nil {
			return err
		}
		s := &slot{seq: it.seq, key: f.key, cur: it}
		// The server's background work (TTL, throughput) may already look at partitions.
		ld.p.mu.Lock()
		ld.p.items[f.key] = s
		ld.p.storedBytes += int64(len(it.body))
		ld.p.order = append(ld.p.order, s)
		ld.p.log = append(ld.p.log, logEntry{lsn: it.lsn, slot: s})
		ld.p.mu.Unlock()
		// A merged snapshot holds versions committed in other regions, at their LSNs.
		ld.lsn = max(ld.lsn, it.lsn)
		if it.seq > ld.c.seq.Load() {
			ld.c.seq.Store(it.seq)
		}
		ld.docs++
	case frameTombstone:
		if ld.lww != nil {
			return ld.lww.loadTombstone(payload)
		}
	}
	return nil
}

// finish completes the current partition: its change log in LSN order, and its LSN.
func (ld *snapshotLoader) finish() {
	if ld.p == nil {
		return
	}
	ld.p.mu.Lock()
	sort.Slice(ld.p.log, func(i, j int) bool { return ld.p.log[i].lsn < ld.p.log[j].lsn })
	ld.p.lsn = max(ld.p.lsn, ld.lsn)
	ld.p.mu.Unlock()
	ld.p = nil
}

// replaySegment applies the writes of log segment gen to st (by last-writer-wins with
// lww), stopping at a torn frame.
func replaySegment(path string, gen int, st *store, lww *lwwReplay) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("open log segment: %w", err)
	}
	defer f.Close()
	fr, err := segmentFrames(f, gen)
	if err != nil {
		return 0, fmt.Errorf("log %s: %w", path, err)
	}
	var dec itemDecoder
	n := 0
	for {
		kind, payload, err := fr.next()
		if errors.Is(err, io.EOF) || errors.Is(err, errTornFrame) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := replayFrame(st, &dec, kind, payload, lww); err != nil {
			return n, fmt.Errorf("log %s at byte %d: %w", path, fr.off, err)
		}
		n++
	}
}

func replayFrame(st *store, dec *itemDecoder, kind byte, payload []byte, lww *lwwReplay) error {
	switch kind {
	case frameMetadata:
		var img metaImage
		if err := json.Unmarshal(payload, &img); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
		return restoreImage(st, img)
	case frameSplit:
		var si splitImage
		if err := json.Unmarshal(payload, &si); err != nil {
			return fmt.Errorf("split: %w", err)
		}
		if c := st.containerByRID(si.Database, si.Container, si.RID); c != nil {
			c.replaySplit(si.RangeID, si.Children)
		}
		return nil
	case frameItem:
	default:
		return nil
	}
	f, err := dec.decode(payload)
	if err != nil {
		return err
	}
	c := st.containerByRID(f.db, f.coll, f.rid)
	if c == nil {
		return nil // deleted later in the log
	}
	if lww != nil && f.stamped {
		return lww.replay(c, dec, &f)
	}
	p := c.partitionByRange(f.rangeID)
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.lsn <= p.lsn {
		return nil
	}
	var it *item
	if f.op != opDelete {
		if it, err = dec.item(&f); err != nil {
			return err
		}
		if it.seq > c.seq.Load() {
			c.seq.Store(it.seq)
		}
	}
	p.lsn = f.lsn - 1
	p.commit(f.op, f.key, it)
	return nil
}

// removeBefore deletes snapshots older than gen and retires the log segments older than
// gen (kept as spares or deleted).
func (l *durableLog) removeBefore(gen int) {
	snaps, wals, err := listGenerations(l.dir)
	if err != nil {
		return
	}
	for _, g := range snaps {
		if g < gen {
			_ = os.Remove(filepath.Join(l.dir, segmentName("snapshot", g)))
		}
	}
	for _, g := range wals {
		if g < gen {
			l.retire(filepath.Join(l.dir, segmentName("wal", g)))
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data dir: %w", err)
	}
	return nil
}

// hookStore sets the commit hook of st and of every container and partition it holds.
func hookStore(st *store, hook commitHook) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.onCommit = hook
	for _, d := range st.dbs {
		for _, c := range d.colls {
			c.onCommit = hook
			for _, p := range c.partitions() {
				p.mu.Lock()
				p.onCommit = hook
				p.mu.Unlock()
			}
		}
	}
}

// topologyFile records the account's topology in a data dir.
const topologyFile = "topology.json"

// topology is what a data dir remembers of its account besides the data.
type topology struct {
	WriteRegion string `json:"writeRegion"`
	// MultiRegionWrites is how the log is written: by every region (replayed by
	// last-writer-wins) or by the write region alone (replayed in LSN order).
	MultiRegionWrites bool `json:"multiRegionWrites,omitempty"`
}

// saveTopology records t, atomically.
func saveTopology(dir string, t topology) error {
	body, _ := json.Marshal(t)
	_, err := writeFileAtomic(filepath.Join(dir, topologyFile), func(w io.Writer) error {
		_, err := w.Write(body)
		return err
	})
	return err
}

// loadTopology is the recorded topology; false when none is (a new data dir, or one of an
// earlier build that never failed over: a single write region).
func loadTopology(dir string) (topology, bool) {
	var t topology
	raw, err := os.ReadFile(filepath.Join(dir, topologyFile))
	if err != nil || json.Unmarshal(raw, &t) != nil {
		return topology{}, false
	}
	return t, true
}
