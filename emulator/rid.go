package emulator

import (
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// Resource ids (_rid) follow the service's scheme: a database rid is 4 bytes, a container rid
// extends it with 4 more, and a document rid extends that with 8; all base64 with '/' as '-'.
var ridEncoding = base64.StdEncoding

func encodeRID(b []byte) string {
	s := []byte(ridEncoding.EncodeToString(b))
	for i, c := range s {
		if c == '/' {
			s[i] = '-'
		}
	}
	return string(s)
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
	var b [16]byte
	copy(b[:8], coll[:])
	binary.BigEndian.PutUint64(b[8:], uint64(seq))
	return encodeRID(b[:])
}

// etagFor is the quoted etag of a resource version written at lsn. Etags only need to change
// on every write of one resource; the LSN of a partition is strictly increasing, and a split
// child continues its parent's LSN, so the etag of an item survives a split.
func etagFor(lsn int64) string {
	const zeros = "000000000000"
	hex := strconv.FormatInt(lsn, 16)
	if len(hex) < len(zeros) {
		hex = zeros[len(hex):] + hex
	}
	return `"00000000-0000-0000-0000-` + hex + `"`
}
