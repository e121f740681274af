package emulator

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// newBareLog is a log on dir without its background goroutines: tests and benchmarks
// prepare, roll and write segments themselves.
func newBareLog(dir string, segmentBytes int64) *durableLog {
	return &durableLog{dir: dir, segmentBytes: segmentBytes, log: slog.New(slog.DiscardHandler),
		stop: make(chan struct{}), spares: spareFiles{wake: make(chan struct{}, 1)}}
}

// testFrames encodes n deletes of equal size (for first+n up to 8000), numbered from first.
func testFrames(first, n int) []byte {
	ref := PartitionRef{Database: "db", Container: "c", ContainerRID: "r", RangeID: "0"}
	var b []byte
	for i := first; i < first+n; i++ {
		b = appendItemFrame(b, ref, int64(i+100), opDelete, fmt.Sprintf("key-%06d", i), nil,
			writeStamp{}, writeStamp{})
	}
	return b
}

// segmentKeys reads segment gen at path and returns the keys of its writes.
func segmentKeys(t *testing.T, path string, gen int) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	fr, err := segmentFrames(f, gen)
	require.NoError(t, err)
	var keys []string
	for {
		kind, payload, err := fr.next()
		if errors.Is(err, io.EOF) || errors.Is(err, errTornFrame) {
			return keys
		}
		require.NoError(t, err)
		require.Equal(t, frameItem, kind)
		w, err := decodeItemFrame(payload)
		require.NoError(t, err)
		keys = append(keys, w.key)
	}
}

func walPath(dir string, gen int) string {
	return filepath.Join(dir, segmentName("wal", gen))
}

func keysFrom(first, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%06d", first+i)
	}
	return keys
}

func TestPreparedSegmentStopsAtTornTail(t *testing.T) {
	dir := t.TempDir()
	l := newBareLog(dir, minSegmentBytes)
	require.NoError(t, l.prepareSpare())
	require.NoError(t, l.openSegment(1))
	require.True(t, l.prepared)
	require.NoError(t, l.writeSync(testFrames(0, 50)))
	end := l.size.Load()

	// A crash in the middle of the next group commit: part of its first frame, and a
	// whole frame after it, reached the disk; the rest of the segment is zeros.
	next := testFrames(50, 2)
	sealFrames(next, segmentMask(1))
	one := len(next) / 2
	_, err := l.f.WriteAt(next[:one-3], end)
	require.NoError(t, err)
	_, err = l.f.WriteAt(next[one:], end+int64(one))
	require.NoError(t, err)
	require.NoError(t, l.closeSegment())

	info, err := os.Stat(walPath(dir, 1))
	require.NoError(t, err)
	require.Equal(t, int64(minSegmentBytes), info.Size(), "a prepared segment keeps its size")
	require.Equal(t, keysFrom(0, 50), segmentKeys(t, walPath(dir, 1), 1))
}

func TestRecycledSegmentIgnoresStaleFrames(t *testing.T) {
	for _, format := range []int{1, segmentFormat} {
		t.Run(fmt.Sprintf("retired format %d", format), func(t *testing.T) {
			dir := t.TempDir()
			l := newBareLog(dir, minSegmentBytes)
			// Generation 1 is filled with frames of the same size as the later ones, so the
			// stale frames start exactly where the new ones end.
			old := testFrames(1000, 5000)
			if format == segmentFormat {
				require.NoError(t, l.openSegment(1))
				require.NoError(t, l.writeSync(old))
				require.NoError(t, l.closeSegment())
			} else {
				require.NoError(t, os.WriteFile(walPath(dir, 1), old, 0o644))
				require.Len(t, segmentKeys(t, walPath(dir, 1), 1), 5000, "format 1 is read")
			}

			oldRaw, err := os.ReadFile(walPath(dir, 1))
			require.NoError(t, err)
			l.retire(walPath(dir, 1))
			require.NoError(t, l.prepareSpare())
			require.NoError(t, l.openSegment(2))
			require.True(t, l.prepared, "the retired segment is reused")
			require.Empty(t, segmentKeys(t, walPath(dir, 2), 2),
				"a recycled segment reads empty before anything is written into it")

			require.NoError(t, l.writeSync(testFrames(0, 500)))
			end := l.size.Load()
			require.Greater(t, end, int64(headerZeroBytes))
			require.NoError(t, l.closeSegment())
			raw, err := os.ReadFile(walPath(dir, 2))
			require.NoError(t, err)
			require.Equal(t, oldRaw[end:], raw[end:len(oldRaw)], "stale frames follow the new ones")
			if format == segmentFormat {
				fr := &frameReader{r: bytesReader(raw[end:]), mask: segmentMask(1)}
				_, _, err := fr.next()
				require.NoError(t, err, "a whole frame of generation 1 starts at the valid end")
			}
			require.Equal(t, keysFrom(0, 500), segmentKeys(t, walPath(dir, 2), 2))
		})
	}
}

func TestSegmentsRollWhenFull(t *testing.T) {
	dir := t.TempDir()
	l := newBareLog(dir, minSegmentBytes)
	require.NoError(t, l.openSegment(1))
	batch := testFrames(0, 1000)
	batches := 3 * minSegmentBytes / len(batch)
	for i := range batches {
		if i%5 == 0 {
			require.NoError(t, l.prepareSpare()) // a prepared segment is ready now and then
		}
		require.NoError(t, l.writeSync(testFrames(i*1000, 1000)))
	}
	require.NoError(t, l.closeSegment())

	_, wals, err := listGenerations(dir)
	require.NoError(t, err)
	require.Greater(t, len(wals), 3)
	var keys []string
	for _, gen := range wals {
		keys = append(keys, segmentKeys(t, walPath(dir, gen), gen)...)
	}
	require.Equal(t, keysFrom(0, batches*1000), keys, "every write once, in order")
}

func TestSegmentHeaderRefusesUnknownFormat(t *testing.T) {
	p := appendString(nil, segmentMagic)
	p = append(p, segmentFormat+1, 7)
	b := appendFrame(nil, frameSegment, p)
	sealFrames(b, segmentMask(7))
	_, err := segmentFrames(bytesReader(b), 7)
	require.ErrorContains(t, err, fmt.Sprintf("log segment format %d", segmentFormat+1))
}

func TestSegmentMaskDiffersPerGeneration(t *testing.T) {
	seen := map[uint32]int{}
	for gen := 1; gen <= 1<<16; gen++ {
		m := segmentMask(gen)
		require.NotZero(t, m)
		prev, dup := seen[m]
		require.False(t, dup, "generations %d and %d share a mask", prev, gen)
		seen[m] = gen
	}
}

// FuzzLogSegment reads arbitrary bytes as a log segment, as recovery does after a crash:
// it must end with a clean error, never panic.
func FuzzLogSegment(f *testing.F) {
	body := testFrames(0, 3)
	sealFrames(body, segmentMask(3))
	good := append(segmentHeader(3), body...)
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add(append(segmentHeader(4), body...))
	f.Add(testFrames(0, 2))
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := segmentFrames(bytesReader(data), 3)
		if err != nil {
			return
		}
		for range 1000 {
			_, _, err := fr.next()
			if errors.Is(err, io.EOF) || errors.Is(err, errTornFrame) {
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
		}
	})
}
