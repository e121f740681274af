package emulator

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// Resource ids (_rid) follow the service's scheme: a database rid is 4 bytes, a container rid
// extends it with 4 more, and a document rid extends that with 8; all base64 with '/' as '-'.
var ridEncoding = base64.StdEncoding

func encodeRID(b []byte) string { return string(appendRID(nil, b)) }

// appendRID appends the rid encoding of b to dst.
func appendRID(dst, b []byte) []byte {
	start := len(dst)
	dst = ridEncoding.AppendEncode(dst, b)
	for i := start; i < len(dst); i++ {
		if dst[i] == '/' {
			dst[i] = '-'
		}
	}
	return dst
}

func databaseRID(n uint32) [4]byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	return b
}

func containerRID(db [4]byte, n uint32) [8]byte {
	var b [8]byte
	copy(b[:4], db[:])
	// The high bit marks a collection rid in the service's encoding.
	binary.BigEndian.PutUint32(b[4:], n|0x80000000)
	return b
}

func documentRID(coll [8]byte, seq int64) string {
	return string(appendDocumentRID(nil, coll, seq))
}

// documentRIDLen is the length of every document rid.
var documentRIDLen = ridEncoding.EncodedLen(16)

// appendDocumentRID appends documentRID(coll, seq) to dst.
func appendDocumentRID(dst []byte, coll [8]byte, seq int64) []byte {
	var b [16]byte
	copy(b[:8], coll[:])
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	return appendRID(dst, b[:])
}

// etagFor is the quoted etag of a resource version written at lsn. Etags only need to change
// on every write of one resource; the LSN of a partition is strictly increasing, and a split
// child continues its parent's LSN, so the etag of an item survives a split.
func etagFor(lsn int64) string {
	b := make([]byte, 0, 2+etagBodyLen(lsn))
	b = append(b, '"')
	b = appendETagBody(b, lsn)
	return string(append(b, '"'))
}

// etagPrefix starts the unquoted etag; at least 12 hex digits of the LSN follow.
const etagPrefix = "00000000-0000-0000-0000-"

// etagBodyLen is the length of the unquoted etag of lsn.
func etagBodyLen(lsn int64) int {
	n := 1
	for v := uint64(lsn) >> 4; v != 0; v >>= 4 {
		n++
	}
	if lsn < 0 {
		n = len(strconv.FormatInt(lsn, 16))
	}
	return len(etagPrefix) + max(n, 12)
}

// appendETagBody appends the unquoted etag of lsn to dst.
func appendETagBody(dst []byte, lsn int64) []byte {
	dst = append(dst, etagPrefix...)
	var hex [20]byte
	h := strconv.AppendInt(hex[:0], lsn, 16)
	for range 12 - len(h) {
		dst = append(dst, '0')
	}
	return append(dst, h...)
}
