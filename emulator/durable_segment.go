package emulator

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Log segments.
//
// A sync of a log segment costs least when it only flushes data: overwriting blocks that were
// already written, in a file whose size does not change, needs no file system journal commit,
// where appending (or writing into a preallocated but unwritten extent) needs one per sync.
// So segments are made ahead of time by a background goroutine: created at their full size
// with written zeros, or recycled from a segment a snapshot retired, and synced once. A
// write never waits for that: when no prepared segment is ready the log starts a plain
// growing one (as earlier builds did) and moves to a prepared one as soon as it is ready.
//
// A recycled segment still holds the old frames past what is written into it again, with
// valid checksums. Format 2 therefore ties every frame to its segment: a segment starts with
// a frameSegment header (magic, format, generation) and each frame's checksum is XORed with
// segmentMask(generation), which differs for every generation. Recovery reads a segment up
// to its first frame that does not check against its own generation: the zeroed tail of a
// prepared segment, a frame torn by a crash, or the stale frames of a recycled one. Format 1
// segments (no header, plain checksums) of earlier builds are still read; they are never
// recycled without their first frame zeroed first.
const (
	// frameSegment opens a log segment (format 2): magic, format and generation.
	frameSegment byte = 5
	// segmentFormat is the log segment format this build writes.
	segmentFormat = 2
	// segmentMagic starts the payload of a frameSegment.
	segmentMagic = "stampede-wal"
	// headerZeroBytes is how much of a recycled segment is zeroed before it is used again,
	// so that its old first frame can never be read as a format 1 segment.
	headerZeroBytes = 4096
	// maxSegmentBytes is the size of a prepared segment (smaller when snapshots are due
	// sooner: see segmentSize).
	maxSegmentBytes = 64 << 20
	// minSegmentBytes is the smallest prepared segment.
	minSegmentBytes = 1 << 20
	// keptSpares is how many retired or prepared segment files are kept for reuse; older
	// ones are removed.
	keptSpares = 2
)

// segmentSize is the size of the prepared segments of a log that snapshots every
// snapshotBytes (never when not positive): about a snapshot period, so frequent snapshots do
// not zero large files they barely use.
func segmentSize(snapshotBytes int64) int64 {
	if snapshotBytes <= 0 {
		return maxSegmentBytes
	}
	return min(max(snapshotBytes, minSegmentBytes), maxSegmentBytes)
}

// segmentMask is what the frame checksums of segment gen are XORed with: a bijection of the
// generation (the finaliser of MurmurHash3), so two generations below 2^32 never share a
// mask, and never zero for a generation of at least 1, so a plain (format 1) checksum
// never checks in a format 2 segment.
func segmentMask(gen int) uint32 {
	h := uint32(gen)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// sealFrames ties the whole frames in buf to a segment: it XORs each checksum with mask.
func sealFrames(buf []byte, mask uint32) {
	for off := 0; off+4 <= len(buf); {
		end := off + 4 + 1 + int(binary.LittleEndian.Uint32(buf[off:])) + 4
		crc := buf[end-4 : end]
		binary.LittleEndian.PutUint32(crc, binary.LittleEndian.Uint32(crc)^mask)
		off = end
	}
}

// segmentHeader is the sealed frameSegment that starts segment gen.
func segmentHeader(gen int) []byte {
	p := appendString(nil, segmentMagic)
	p = binary.AppendUvarint(p, segmentFormat)
	p = binary.AppendUvarint(p, uint64(gen))
	b := appendFrame(nil, frameSegment, p)
	sealFrames(b, segmentMask(gen))
	return b
}

// checkSegmentHeader checks the payload of the frameSegment that starts segment gen.
func checkSegmentHeader(payload []byte, gen int) error {
	d := &decoder{b: payload}
	magic, format, got := string(d.bytes()), d.uvarint(), d.uvarint()
	switch {
	case d.err != nil || magic != segmentMagic:
		return errors.New("not a log segment header")
	case format != segmentFormat:
		return fmt.Errorf("log segment format %d; this build reads formats 1 and %d",
			format, segmentFormat)
	case got != uint64(gen):
		return fmt.Errorf("header names generation %d", got)
	}
	return nil
}

// segmentFrames returns a reader of the frames of segment gen, read from f, past its
// header. A segment whose header is not on disk (nothing was synced into it) reads empty.
func segmentFrames(f io.ReadSeeker, gen int) (*frameReader, error) {
	fr := &frameReader{r: bufio.NewReaderSize(f, 1<<20), mask: segmentMask(gen)}
	kind, payload, err := fr.next()
	if err == nil && kind == frameSegment {
		return fr, checkSegmentHeader(payload, gen)
	}
	// Format 1 (plain checksums, no header), or no header: its first frame does not check.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind log segment: %w", err)
	}
	return &frameReader{r: bufio.NewReaderSize(f, 1<<20)}, nil
}

// Spare segment files: spare-<n>.tmp while being prepared (or waiting to be), spare-<n>.log
// once ready. Recovery ignores both.
func spareName(n int, ready bool) string {
	ext := ".tmp"
	if ready {
		ext = ".log"
	}
	return "spare-" + fmt.Sprintf("%08d", n) + ext
}

// spareFiles are the spare files of a segment log (guarded by durableLog.spareMu).
type spareFiles struct {
	ready   []string // prepared: zeroed header, full size, synced
	retired []string // to be prepared
	next    int      // number of the next spare file
	wake    chan struct{}
}

// findSpares lists the spare files dir holds (a restart reuses them). Ready ones smaller
// than size are prepared again.
func findSpares(dir string, size int64) (spareFiles, error) {
	sp := spareFiles{wake: make(chan struct{}, 1)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return sp, fmt.Errorf("list data dir: %w", err)
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "spare-")
		numText, ext, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(numText)
		if !ok || err != nil || (ext != "log" && ext != "tmp") {
			continue
		}
		sp.next = max(sp.next, n+1)
		path := filepath.Join(dir, e.Name())
		if info, err := e.Info(); err == nil && ext == "log" && info.Size() >= size {
			sp.ready = append(sp.ready, path)
		} else {
			sp.retired = append(sp.retired, path)
		}
	}
	return sp, nil
}

// takeSpare removes and returns a ready spare file, "" when none is ready.
func (l *durableLog) takeSpare() string {
	l.spareMu.Lock()
	defer l.spareMu.Unlock()
	if len(l.spares.ready) == 0 {
		return ""
	}
	path := l.spares.ready[0]
	l.spares.ready = l.spares.ready[1:]
	return path
}

func (l *durableLog) spareReady() bool {
	l.spareMu.Lock()
	defer l.spareMu.Unlock()
	return len(l.spares.ready) > 0
}

func (l *durableLog) wakePreparer() {
	select {
	case l.spares.wake <- struct{}{}:
	default:
	}
}

// retire keeps the log segment at path for reuse when fewer than keptSpares spare files
// exist, and removes it otherwise.
func (l *durableLog) retire(path string) {
	l.spareMu.Lock()
	keep := len(l.spares.ready)+len(l.spares.retired) < keptSpares
	var spare string
	if keep {
		spare = filepath.Join(l.dir, spareName(l.spares.next, false))
		l.spares.next++
		if os.Rename(path, spare) == nil {
			l.spares.retired = append(l.spares.retired, spare)
		} else {
			keep = false
		}
	}
	l.spareMu.Unlock()
	if !keep {
		_ = os.Remove(path)
	}
	l.wakePreparer()
}

// prepareLoop keeps one prepared segment ready until the log closes.
func (l *durableLog) prepareLoop() {
	defer l.wg.Done()
	for {
		for !l.spareReady() && !l.stopped() {
			if err := l.prepareSpare(); err != nil {
				if !l.stopped() {
					l.log.Warn("preparing a log segment failed; the log appends instead",
						"err", err)
				}
				break
			}
		}
		select {
		case <-l.spares.wake:
		case <-l.stop:
			return
		}
	}
}

func (l *durableLog) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// errLogClosed ends the preparation of a segment when the log closes.
var errLogClosed = errors.New("the log closed")

// prepareSpare makes one spare file ready: a retired one, or a new one.
func (l *durableLog) prepareSpare() error {
	l.spareMu.Lock()
	var path string
	if n := len(l.spares.retired); n > 0 {
		path = l.spares.retired[n-1]
		l.spares.retired = l.spares.retired[:n-1]
	} else {
		path = filepath.Join(l.dir, spareName(l.spares.next, false))
		l.spares.next++
	}
	l.spareMu.Unlock()
	if err := l.zeroSegment(path); err != nil {
		// Keep the file for a later attempt (or the next start).
		l.spareMu.Lock()
		l.spares.retired = append(l.spares.retired, path)
		l.spareMu.Unlock()
		return err
	}
	ready := strings.TrimSuffix(path, filepath.Ext(path)) + ".log"
	if err := os.Rename(path, ready); err != nil {
		return fmt.Errorf("publish spare segment: %w", err)
	}
	l.spareMu.Lock()
	l.spares.ready = append(l.spares.ready, ready)
	l.spareMu.Unlock()
	return nil
}

// zeroSegment makes the file at path a prepared segment: its first block zeroed, written
// zeros up to the segment size, synced.
func (l *durableLog) zeroSegment(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open spare segment: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("spare segment: %w", err)
	}
	zeros := make([]byte, 1<<20)
	if _, err := f.WriteAt(zeros[:headerZeroBytes], 0); err != nil {
		return fmt.Errorf("zero spare segment: %w", err)
	}
	for off := max(info.Size(), headerZeroBytes); off < l.segmentBytes; off += int64(len(zeros)) {
		if l.stopped() {
			return errLogClosed
		}
		n := min(int64(len(zeros)), l.segmentBytes-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return fmt.Errorf("zero spare segment: %w", err)
		}
	}
	if err := syncData(f); err != nil {
		return fmt.Errorf("sync spare segment: %w", err)
	}
	return nil
}
