package emulator

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// On disk, the write-ahead log and snapshots are sequences of frames:
//
//	u32 length of payload | u8 kind | payload | u32 CRC-32C of kind and payload
//
// little endian. A frame whose length, checksum or payload does not read back is where a
// crash cut the file: recovery stops there. In log segments (format 2) the checksum is also
// XORed with the segment's mask (see segmentMask), so a frame only checks in its own segment.

// Frame kinds.
const (
	frameItem     byte = 1 // one committed document write
	frameMetadata byte = 2 // the full metadata (databases, containers) as JSON
	// frameSplit is one partition split into new ranges, as JSON (splitImage); only in
	// log segments (3 is framePartition, in snapshots; 5 is frameSegment).
	frameSplit byte = 4
)

// maxFrame bounds a frame's payload (a document is at most 2 MB).
const maxFrame = 16 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// errTornFrame is returned by readFrame for an incomplete or corrupt frame.
var errTornFrame = errors.New("torn or corrupt frame")

// appendFrame appends one frame holding payload to b.
func appendFrame(b []byte, kind byte, payload []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	start := len(b)
	b = append(b, kind)
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], crcTable))
}

// frameReader reads frames from r, reusing one buffer.
type frameReader struct {
	r io.Reader
	// mask is what the checksums are XORed with (0 in snapshots and format 1 segments).
	mask uint32
	buf  []byte
	off  int64 // bytes of good frames read so far
}

// next returns the next frame; io.EOF at a clean end, errTornFrame at a cut or corrupt one.
// The payload is valid until the next call.
func (fr *frameReader) next() (byte, []byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(fr.r, head[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, errTornFrame
	}
	n := int(binary.LittleEndian.Uint32(head[:]))
	if n > maxFrame {
		return 0, nil, errTornFrame
	}
	if cap(fr.buf) < n+5 {
		fr.buf = make([]byte, n+5)
	}
	body := fr.buf[:n+5]
	if _, err := io.ReadFull(fr.r, body); err != nil {
		return 0, nil, errTornFrame
	}
	if crc32.Checksum(body[:n+1], crcTable)^fr.mask != binary.LittleEndian.Uint32(body[n+1:]) {
		return 0, nil, errTornFrame
	}
	fr.off += int64(n) + 9
	return body[0], body[1 : n+1], nil
}

// itemFrame is the payload of a frameItem.
type itemFrame struct {
	db, coll, rid, rangeID string
	lsn                    int64
	op                     opKind
	key                    string
	// For creates and replaces: the version written.
	seq, ts, expires int64
	id, pk           string
	body             []byte
	// stamp is the version's origin and commit time (for a delete, the delete's), prev the
	// stamp of the version it replaced; stamped is false in frames of builds that did not
	// record them.
	stamp, prev writeStamp
	stamped     bool
}

// writeStamp is who committed a version and when: the region's index and its commit time
// (Unix ns). Multi-region writes resolve conflicts by it; a write's stamp and its
// predecessor's travel after the rest of an item frame, so frames without them (earlier
// builds) still decode.
type writeStamp struct {
	origin uint8
	clock  int64
}

// stampOf is the stamp of a stored version.
func stampOf(it *item) writeStamp { return writeStamp{origin: it.origin, clock: it.clock} }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendItemFrame encodes a committed write as a frame appended to b; st is the write's
// stamp (a version's own, for creates and replaces), prev its predecessor's.
func appendItemFrame(b []byte, ref PartitionRef, lsn int64, op opKind, key string,
	it *item, st, prev writeStamp,
) []byte {
	// Reserve the frame header, then fill the length and checksum in place.
	start := len(b)
	b = append(b, 0, 0, 0, 0, frameItem)
	b = appendString(b, ref.Database)
	b = appendString(b, ref.Container)
	b = appendString(b, ref.ContainerRID)
	b = appendString(b, ref.RangeID)
	b = binary.AppendVarint(b, lsn)
	b = append(b, byte(op))
	b = appendString(b, key)
	if it != nil {
		b = binary.AppendVarint(b, it.seq)
		b = binary.AppendVarint(b, it.ts)
		b = binary.AppendVarint(b, it.expires)
		b = appendString(b, it.id)
		b = appendString(b, it.pk.key)
		b = binary.AppendUvarint(b, uint64(len(it.body)))
		b = append(b, it.body...)
	}
	b = append(b, st.origin)
	b = binary.AppendVarint(b, st.clock)
	b = append(b, prev.origin)
	b = binary.AppendVarint(b, prev.clock)
	binary.LittleEndian.PutUint32(b[start:], uint32(len(b)-start-5))
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start+4:], crcTable))
}

// decoder reads the fields of a payload in order, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errTornFrame
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errTornFrame
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errTornFrame
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte1() byte {
	if len(d.b) == 0 {
		d.err = errTornFrame
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// decodeItemFrame decodes a frameItem payload; the body is copied (payload is reused).
func decodeItemFrame(p []byte) (itemFrame, error) {
	var d itemDecoder
	return d.decode(p)
}

// itemDecoder decodes many item frames cheaply: the names of the partition repeat from
// frame to frame and are kept, partition keys are parsed once each, and bodies are copied
// into large shared slabs instead of one allocation each.
type itemDecoder struct {
	names [4]string
	pks   map[string]partitionKey
	slab  []byte
}

const slabBytes = 4 << 20

func (dec *itemDecoder) name(i int, b []byte) string {
	if dec.names[i] != string(b) {
		dec.names[i] = string(b)
	}
	return dec.names[i]
}

// body copies b into the current slab (a new one when it is full).
func (dec *itemDecoder) body(b []byte) []byte {
	if len(b) > slabBytes/4 {
		return append([]byte(nil), b...)
	}
	if len(dec.slab)+len(b) > cap(dec.slab) {
		dec.slab = make([]byte, 0, slabBytes)
	}
	start := len(dec.slab)
	dec.slab = append(dec.slab, b...)
	return dec.slab[start:len(dec.slab):len(dec.slab)]
}

func (dec *itemDecoder) decode(p []byte) (itemFrame, error) {
	d := &decoder{b: p}
	var f itemFrame
	f.db, f.coll = dec.name(0, d.bytes()), dec.name(1, d.bytes())
	f.rid, f.rangeID = dec.name(2, d.bytes()), dec.name(3, d.bytes())
	f.lsn = d.varint()
	f.op = opKind(d.byte1())
	f.key = string(d.bytes())
	if f.op != opDelete && d.err == nil {
		f.seq, f.ts, f.expires = d.varint(), d.varint(), d.varint()
		f.id, f.pk = string(d.bytes()), string(d.bytes())
		f.body = dec.body(d.bytes())
	}
	if len(d.b) > 0 && d.err == nil {
		f.stamp.origin, f.stamp.clock = d.byte1(), d.varint()
		f.prev.origin, f.prev.clock = d.byte1(), d.varint()
		f.stamped = true
	}
	if d.err != nil {
		return f, fmt.Errorf("decode write record: %w", d.err)
	}
	return f, nil
}

// item rebuilds the stored version a frame carries.
func (dec *itemDecoder) item(f *itemFrame) (*item, error) {
	pk, ok := dec.pks[f.pk]
	if !ok {
		var err error
		if pk, err = parsePartitionKeyHeader(f.pk); err != nil {
			return nil, fmt.Errorf("partition key of %q: %w", f.id, err)
		}
		if dec.pks == nil || len(dec.pks) > 1<<16 {
			dec.pks = map[string]partitionKey{}
		}
		dec.pks[f.pk] = pk
	}
	return &item{body: f.body, id: f.id, pk: pk, seq: f.seq, lsn: f.lsn, ts: f.ts,
		expires: f.expires, origin: f.stamp.origin, clock: f.stamp.clock}, nil
}

// metaImage is the whole metadata of a store, as a frameMetadata records it.
type metaImage struct {
	NextDB  uint32    `json:"nextDB"`
	Version int64     `json:"version"`
	DBs     []dbImage `json:"dbs"`
}

type dbImage struct {
	ID       string        `json:"id"`
	RID      string        `json:"rid"`
	RIDBytes [4]byte       `json:"ridBytes"`
	TS       int64         `json:"ts"`
	ETag     string        `json:"etag"`
	Offer    offerSettings `json:"offer"`
	NextColl uint32        `json:"nextColl"`
	Colls    []collImage   `json:"colls"`
}

type collImage struct {
	ID            string          `json:"id"`
	RID           string          `json:"rid"`
	RIDBytes      [8]byte         `json:"ridBytes"`
	Props         json.RawMessage `json:"props"`
	Offer         offerSettings   `json:"offer"`
	ETag          string          `json:"etag"`
	TS            int64           `json:"ts"`
	RangesVersion int64           `json:"rangesVersion"`
	Seq           int64           `json:"seq"`
	Parts         []partImage     `json:"parts"`
}

type partImage struct {
	RangeID string   `json:"rangeId"`
	Min     string   `json:"min"`
	Max     string   `json:"max"`
	Parents []string `json:"parents,omitempty"`
	// LSN is the partition's LSN when a snapshot captured it (0 in log records).
	LSN int64 `json:"lsn,omitempty"`
}

// splitImage is the payload of a frameSplit: the partition RangeID of a container was cut
// into Children.
type splitImage struct {
	Database  string      `json:"db"`
	Container string      `json:"coll"`
	RID       string      `json:"rid"`
	RangeID   string      `json:"rangeId"`
	Children  []partImage `json:"children"`
}

// imageOf captures st's metadata (partition LSNs left 0).
func imageOf(st *store) metaImage {
	img, _ := imageWithPartitions(st)
	return img
}

// imageWithPartitions is imageOf with the partitions it lists, by container rid: a
// snapshot writes the documents of exactly these, so a split while it runs cannot leave
// documents in ranges its metadata lacks (the split's log record follows the snapshot).
func imageWithPartitions(st *store) (metaImage, map[string][]*partition) {
	parts := map[string][]*partition{}
	st.mu.RLock()
	defer st.mu.RUnlock()
	img := metaImage{NextDB: st.nextDB, Version: st.version}
	for _, d := range st.dbs {
		di := dbImage{ID: d.id, RID: d.rid, RIDBytes: d.ridBytes, TS: d.ts, ETag: d.etag,
			Offer: d.offer, NextColl: d.nextColl}
		for _, c := range d.colls {
			meta := c.meta.Load()
			props, _ := json.Marshal(meta.props)
			ci := collImage{ID: c.id, RID: c.rid, RIDBytes: c.ridBytes, Props: props,
				Offer: c.offer, ETag: meta.etag, TS: meta.ts,
				RangesVersion: c.rangesVersion.Load(), Seq: c.seq.Load()}
			cparts := c.partitions()
			parts[c.rid] = cparts
			for _, p := range cparts {
				ci.Parts = append(ci.Parts, partImage{RangeID: p.rangeID, Min: p.min,
					Max: p.max, Parents: p.parents})
			}
			di.Colls = append(di.Colls, ci)
		}
		img.DBs = append(img.DBs, di)
	}
	return img, parts
}

// restoreImage makes st's metadata equal to img, keeping containers (and their documents)
// that img still has with the same rid; new containers start empty.
func restoreImage(st *store, img metaImage) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.nextDB, st.version = img.NextDB, img.Version
	dbs := make(map[string]*database, len(img.DBs))
	for _, di := range img.DBs {
		d := st.dbs[di.ID]
		if d == nil || d.rid != di.RID {
			d = &database{id: di.ID, rid: di.RID, ridBytes: di.RIDBytes, ts: di.TS,
				offer: di.Offer, colls: map[string]*container{}}
		}
		d.etag, d.nextColl, d.offer = di.ETag, di.NextColl, di.Offer
		colls := make(map[string]*container, len(di.Colls))
		for _, ci := range di.Colls {
			c, err := restoreContainer(d, d.colls[ci.ID], ci, st.onCommit)
			if err != nil {
				return fmt.Errorf("container %q in database %q: %w", ci.ID, di.ID, err)
			}
			colls[ci.ID] = c
		}
		d.colls = colls
		dbs[di.ID] = d
	}
	st.dbs = dbs
	return nil
}

func restoreContainer(d *database, have *container, ci collImage, hook commitHook) (
	*container, error,
) {
	var props containerProps
	if err := json.Unmarshal(ci.Props, &props); err != nil {
		return nil, fmt.Errorf("properties: %w", err)
	}
	if err := props.PartitionKey.validate(); err != nil {
		return nil, fmt.Errorf("partition key: %w", err)
	}
	c := have
	if c == nil || c.rid != ci.RID {
		c = &container{db: d, id: ci.ID, rid: ci.RID, ridBytes: ci.RIDBytes,
			pk: props.PartitionKey, offer: ci.Offer, onCommit: hook}
		parts := make([]*partition, len(ci.Parts))
		for i, pi := range ci.Parts {
			parts[i] = newPartition(c, pi.RangeID, pi.Min, pi.Max)
			parts[i].parents = pi.Parents
			parts[i].lsn = pi.LSN
		}
		c.parts.Store(&parts)
	}
	c.offer = ci.Offer
	c.rangesVersion.Store(ci.RangesVersion)
	if ci.Seq > c.seq.Load() {
		c.seq.Store(ci.Seq)
	}
	c.meta.Store(newContainerMeta(c, props, ci.ETag, ci.TS))
	return c, nil
}
