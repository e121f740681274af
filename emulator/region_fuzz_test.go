package emulator

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzParseLag checks that any lag text either parses into a valid Lag that prints back
// to an equal one, or is refused with an error; never a panic.
func FuzzParseLag(f *testing.F) {
	for _, s := range []string{"50ms", "uniform:20ms-80ms", "exponential:50ms",
		"exponential:50ms-2s", "fixed:0s", "uniform:1s-", ":", "-", "gamma:1s", "1h-2h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLag(s)
		if err != nil {
			return
		}
		if err := l.Validate(); err != nil {
			t.Fatalf("ParseLag(%q) = %+v, which does not validate: %v", s, l, err)
		}
		again, err := ParseLag(l.String())
		if err != nil {
			t.Fatalf("ParseLag(%q).String() = %q does not parse: %v", s, l.String(), err)
		}
		if again.Min != l.Min || again.Max != l.Max {
			t.Fatalf("round trip of %q: got %+v, want %+v", s, again, l)
		}
		src := newLagSource(l, 1)
		for range 4 {
			if d := src.next(); d < 0 {
				t.Fatalf("lag %q drew a negative duration %v", s, d)
			}
		}
	})
}

// FuzzFrameReader feeds arbitrary bytes to the log and snapshot decoders, which read what
// a crash may have left on disk: they must end with io.EOF or errTornFrame, and any item
// or tombstone frame that passes its checksum must decode or be refused, never panic.
func FuzzFrameReader(f *testing.F) {
	ref := PartitionRef{Database: "db", Container: "c", ContainerRID: "r", RangeID: "0"}
	it := &item{body: []byte(`{"id":"a"}`), id: "a", pk: newPartitionKey([]any{"p"}), seq: 1,
		lsn: 1, ts: 1}
	good := appendItemFrame(nil, ref, 1, opCreate, itemKey(it.pk, it.id), it, stampOf(it),
		writeStamp{})
	good = appendItemFrame(good, ref, 2, opDelete, itemKey(it.pk, it.id), nil,
		writeStamp{origin: 1, clock: 7}, stampOf(it))
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(appendFrame(nil, frameMetadata, []byte(`{"dbs":[]}`)))
	f.Add(appendFrame(nil, frameItem, []byte{0xff, 0xff, 0xff}))
	f.Add(appendTombstoneFrame(nil, "r", "p\x00a", versionKey{origin: 1, clock: 5}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := &frameReader{r: bytes.NewReader(data)}
		var dec itemDecoder
		lww := newLWWReplay(&Account{})
		for range 1000 {
			kind, payload, err := fr.next()
			if errors.Is(err, io.EOF) || errors.Is(err, errTornFrame) {
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if kind == frameTombstone {
				_ = lww.loadTombstone(payload)
			}
			if kind != frameItem {
				continue
			}
			if f, err := dec.decode(payload); err == nil && f.op != opDelete {
				_, _ = dec.item(&f)
			}
		}
	})
}

// FuzzSessionToken checks the session token parser on arbitrary text.
func FuzzSessionToken(f *testing.F) {
	for _, s := range []string{"0:-1#12", "3:12", "", "#", "a:b#c", "0:-1#", ":#5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, lsn, ok := parseSessionToken(s)
		if ok && lsn < 0 && !bytes.Contains([]byte(s), []byte("-")) {
			t.Fatalf("parseSessionToken(%q) gave a negative LSN %d without a minus sign", s, lsn)
		}
	})
}
