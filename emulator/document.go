package emulator

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// maxDocumentBytes is the service's item size limit.
const maxDocumentBytes = 2 << 20

// systemProperties are set by the store; values a client sends for them are replaced.
var systemProperties = map[string]bool{
	"_rid": true, "_self": true, "_etag": true, "_attachments": true, "_ts": true, "_lsn": true,
}

// document is an incoming item body with the few fields the store indexes.
type document struct {
	raw       []byte
	id        string
	pk        partitionKey
	ttl       *int64
	hasSystem bool
	// spare is set when raw's spare capacity belongs to the document alone (a point
	// write's request body, read by request.body with stampReserve to spare): stamped then
	// writes the system properties in place instead of copying the body.
	spare bool
}

// stampReserve is the spare capacity request.body leaves after a body, enough for the
// system properties stamped writes (_rid, _self, _etag, _attachments, _ts: about 215
// bytes).
const stampReserve = 224

// The text stamped writes around the system property values.
const (
	stampRID   = `,"_rid":"`
	stampSelf  = `","_self":"`
	stampETag  = `","_etag":"\"`
	stampTail  = `\"","_attachments":"attachments/","_ts":`
	stampFixed = len(stampRID) + len(stampSelf) + len(stampETag) + len(stampTail) +
		20 + 1 // _ts digits at most, closing brace
)

// parseDocument validates an item body and extracts id, partition key and ttl.
func parseDocument(raw []byte, def *pkDefinition) (*document, error) {
	if len(raw) > maxDocumentBytes {
		return nil, newError(kindEntityTooLarge, "the document is %d bytes, over the %d byte "+
			"item size limit", len(raw), maxDocumentBytes)
	}
	d := &document{raw: bytes.TrimSpace(raw)}
	if !json.Valid(d.raw) {
		var v any
		return nil, badRequest("the request body is not valid JSON: %v", json.Unmarshal(d.raw, &v))
	}
	var idRaw, ttlRaw []byte
	err := eachMember(d.raw, func(k string, v []byte) bool {
		switch {
		case k == "id":
			idRaw = v
		case k == "ttl":
			ttlRaw = v
		case systemProperties[k]:
			d.hasSystem = true
		}
		return true
	})
	if err != nil {
		return nil, badRequest("the request body is a JSON %s, not an object", jsonKind(d.raw))
	}
	if idRaw == nil {
		return nil, badRequest("the document has no \"id\" property")
	}
	if id, ok := plainString(idRaw); ok {
		d.id = id
	} else if err := json.Unmarshal(idRaw, &d.id); err != nil {
		return nil, badRequest("the document's \"id\" must be a string, got %s", idRaw)
	}
	if err := validateID("document", d.id, true); err != nil {
		return nil, err
	}
	if err := d.parseTTL(ttlRaw); err != nil {
		return nil, err
	}
	d.pk, err = def.extract(d.raw)
	return d, err
}

// jsonKind names the kind of a valid JSON value, for messages.
func jsonKind(b []byte) string {
	switch b[skipSpace(b, 0)] {
	case '[':
		return "array"
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

func (d *document) parseTTL(raw []byte) error {
	if raw == nil || string(raw) == "null" {
		return nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n == 0 || n < -1 || n > 2147483647 {
		return badRequest("the document's \"ttl\" %s: want -1 (never expire) or a positive "+
			"whole number of seconds up to 2147483647", raw)
	}
	d.ttl = &n
	return nil
}

// expiry is when the document expires (unix seconds, 0 never) under the container's
// default TTL: nil turns TTL off, -1 means no default, n expires n seconds after the write.
func (d *document) expiry(defaultTTL *int64, ts int64) int64 {
	if defaultTTL == nil {
		return 0
	}
	ttl := *defaultTTL
	if d.ttl != nil {
		ttl = *d.ttl
	}
	if ttl <= 0 {
		return 0
	}
	return ts + ttl
}

// stamped is the stored body: the client's JSON (system properties removed) followed by
// _rid, _self, _etag, _attachments and _ts, in the order the service writes them.
func (d *document) stamped(c *container, seq, lsn, ts int64) []byte {
	user := d.raw
	if d.hasSystem {
		user = withoutSystemProperties(d.raw)
	}
	// The user's JSON without its closing brace, then the properties: _rid, then _self
	// (dbs/{db}/colls/{coll}/docs/{rid}/) and the unquoted etag.
	selfLen := len("dbs/") + len(c.db.rid) + len("/colls/") + len(c.rid) + len("/docs/") +
		documentRIDLen + len("/")
	need := len(user) - 1 + documentRIDLen + selfLen + etagBodyLen(lsn) + stampFixed
	// user always holds at least "id", so a comma follows it.
	var b []byte
	inPlace := d.spare && !d.hasSystem && cap(user) >= need
	if inPlace {
		b = user[:len(user)-1]
	} else {
		b = append(make([]byte, 0, need), user[:len(user)-1]...)
	}
	b = append(b, stampRID...)
	b = appendDocumentRID(b, c.ridBytes, seq)
	rid := b[len(b)-documentRIDLen:]
	b = append(b, stampSelf...)
	b = append(b, "dbs/"...)
	b = append(b, c.db.rid...)
	b = append(b, "/colls/"...)
	b = append(b, c.rid...)
	b = append(b, "/docs/"...)
	b = append(b, rid...)
	b = append(b, '/')
	b = append(b, stampETag...)
	b = appendETagBody(b, lsn)
	b = append(b, stampTail...)
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, '}')
	if inPlace {
		// raw's closing brace is now a comma: the document is the stamped body from here
		// on, so a second stamping strips the system properties into a new buffer.
		d.raw, d.hasSystem, d.spare = b, true, false
	}
	return b
}

// withoutSystemProperties rewrites a JSON object without the system properties, keeping the
// order of the others.
func withoutSystemProperties(raw []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	out := []byte{'{'}
	if _, err := dec.Token(); err != nil {
		return raw
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return raw
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return raw
		}
		if systemProperties[key] {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(key)
		out = append(out, k...)
		out = append(out, ':')
		out = append(out, val...)
	}
	return append(out, '}')
}
