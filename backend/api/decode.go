package api

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of unknown values the decoder skips.
const maxDepth = 32

// maxInterned bounds the strings a Decoder keeps for reuse.
const maxInterned = 1 << 16

// SyntaxError is returned when a body is not well-formed JSON of the expected shape.
type SyntaxError struct {
	// Offset is the byte offset of the problem in the (decompressed) body.
	Offset int
	// Field is the JSON path being decoded, e.g. "events[4].src", or "" at the top level.
	Field string
	// Msg describes the problem.
	Msg string
}

func (e *SyntaxError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
	}
	return fmt.Sprintf("%s: offset %d: %s", e.Field, e.Offset, e.Msg)
}

// Decoder decodes batches and recordings. It keeps the strings it has seen (tenant and
// sensor ids, entity names) and hands out the same string again, so that steady-state
// decoding allocates little and callers can use the names as map keys cheaply. The zero
// value is ready to use. Not safe for concurrent use: use one per goroutine.
//
// The decoder accepts any well-formed JSON: keys in any order, whitespace, escapes, unknown
// keys (skipped, for forward compatibility) and null for any optional field. Enum values it
// does not know are errors that name the field and list the allowed values.
type Decoder struct {
	data    []byte
	pos     int
	field   string
	scratch []byte
	intern  map[string]string
}

// DecodeBatch decodes one batch with a fresh Decoder. It does not call Validate.
func DecodeBatch(data []byte) (*Batch, error) {
	var d Decoder
	b := &Batch{}
	if err := d.DecodeBatch(data, b); err != nil {
		return nil, err
	}
	return b, nil
}

// DecodeBatch decodes data into b, reusing b.Events' capacity. Errors are *SyntaxError or
// *FieldError. It does not call Validate.
func (d *Decoder) DecodeBatch(data []byte, b *Batch) error {
	d.reset(data)
	*b = Batch{Events: b.Events[:0]}
	err := d.object(func(key []byte) error { return d.batchField(key, b) })
	if err != nil {
		return err
	}
	return d.end()
}

// DecodeRecord decodes one recording line written by AppendRecordJSON (the trailing
// newline is optional).
func (d *Decoder) DecodeRecord(line []byte) (tenant, sensor string, e Event, err error) {
	d.reset(line)
	err = d.object(func(key []byte) error {
		switch string(key) {
		case "tenant":
			return d.str(&tenant, "tenant")
		case "sensor":
			return d.str(&sensor, "sensor")
		}
		return d.eventField(key, &e)
	})
	if err == nil {
		err = d.end()
	}
	return tenant, sensor, e, err
}

func (d *Decoder) reset(data []byte) {
	d.data, d.pos, d.field = data, 0, ""
	if d.intern == nil {
		d.intern = make(map[string]string, 1024)
	}
}

func (d *Decoder) end() error {
	d.ws()
	if d.pos != len(d.data) {
		d.field = ""
		return d.syntax("unexpected data after the top-level object")
	}
	return nil
}

func (d *Decoder) batchField(key []byte, b *Batch) error {
	switch string(key) {
	case "tenant":
		return d.str(&b.Tenant, "tenant")
	case "sensor":
		return d.str(&b.Sensor, "sensor")
	case "id":
		return d.str(&b.ID, "id")
	case "seq":
		return d.uint(&b.Sequence, "seq", 1<<64-1)
	case "events":
		return d.events(b)
	}
	return d.skip(0)
}

func (d *Decoder) events(b *Batch) error {
	d.field = "events"
	// A repeated "events" key replaces the earlier one, as with other keys.
	b.Events = b.Events[:0]
	if d.null() {
		return nil
	}
	if !d.consume('[') {
		return d.syntax("want an array of events")
	}
	if d.consume(']') {
		return nil
	}
	for {
		if len(b.Events) >= MaxEventsPerBatch {
			return fieldErr("events", "more than %d events", MaxEventsPerBatch)
		}
		b.Events = append(b.Events, Event{})
		e := &b.Events[len(b.Events)-1]
		d.field = ""
		if err := d.object(func(key []byte) error { return d.eventField(key, e) }); err != nil {
			return withIndex(err, len(b.Events)-1)
		}
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			return nil
		}
		d.field = "events"
		return d.syntax("want ',' or ']' after an event")
	}
}

// withIndex prefixes the field of err with the event index.
func withIndex(err error, idx int) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: eventField(idx, fe.Field), Msg: fe.Msg}
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return &SyntaxError{Offset: se.Offset, Field: eventField(idx, se.Field), Msg: se.Msg}
	}
	return err
}

func (d *Decoder) eventField(key []byte, e *Event) error {
	switch string(key) {
	case "kind":
		return d.enumKind(&e.Kind)
	case "time":
		return d.time(&e.Time)
	case "src":
		return d.entity(&e.Source, "src", "src.name")
	case "src_host":
		return d.str(&e.SourceHost, "src_host")
	case "dst":
		return d.entity(&e.Target, "dst", "dst.name")
	case "dst_host":
		return d.str(&e.TargetHost, "dst_host")
	case "result":
		return d.enumResult(&e.Result)
	}
	return d.optionalEventField(key, e)
}

func (d *Decoder) optionalEventField(key []byte, e *Event) error {
	switch string(key) {
	case "logon_type":
		var v uint64
		err := d.uint(&v, "logon_type", 255)
		e.LogonType = uint8(v)
		return err
	case "admin":
		return d.bool(&e.Admin, "admin")
	case "enc":
		return d.enumEncryption(&e.Encryption)
	case "query":
		return d.str(&e.Query, "query")
	case "count":
		var v uint64
		err := d.uint(&v, "count", 1<<32-1)
		e.Count = uint32(v)
		return err
	case "attr":
		return d.str(&e.Attribute, "attr")
	}
	return d.skip(0)
}

func (d *Decoder) entity(r *EntityRef, field, nameField string) error {
	d.field = field
	if d.null() {
		*r = EntityRef{}
		return nil
	}
	if !d.consume('{') {
		return d.syntax("want an object")
	}
	if d.consume('}') {
		return nil
	}
	// Written out rather than through object: a closure here would allocate per event.
	for {
		key, err := d.key(field)
		if err != nil {
			return err
		}
		switch string(key) {
		case "type":
			err = d.enumEntityType(&r.Type, field)
		case "name":
			err = d.str(&r.Name, nameField)
		default:
			err = d.skip(0)
		}
		if err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		d.field = field
		return d.syntax("want ',' or '}'")
	}
}

func (d *Decoder) enumKind(k *Kind) error {
	s, err := d.rawString("kind")
	if err != nil || s == nil {
		return err
	}
	v, ok := ParseKind(string(s))
	if !ok || !v.Valid() {
		return fieldErr("kind", "unknown value %q (allowed: %s)", s, allowed(kindNames[:]))
	}
	*k = v
	return nil
}

func (d *Decoder) enumResult(r *Result) error {
	s, err := d.rawString("result")
	if err != nil || s == nil {
		return err
	}
	v, ok := ParseResult(string(s))
	if !ok {
		return fieldErr("result", "unknown value %q (allowed: %s)", s, allowed(resultNames[:]))
	}
	*r = v
	return nil
}

func (d *Decoder) enumEncryption(e *Encryption) error {
	s, err := d.rawString("enc")
	if err != nil || s == nil {
		return err
	}
	v, ok := ParseEncryption(string(s))
	if !ok {
		return fieldErr("enc", "unknown value %q (allowed: %s)", s, allowed(encNames[:]))
	}
	*e = v
	return nil
}

func (d *Decoder) enumEntityType(t *EntityType, entity string) error {
	s, err := d.rawString(entity)
	if err != nil || s == nil {
		return err
	}
	v, ok := ParseEntityType(string(s))
	if !ok || !v.Valid() {
		return fieldErr(entity+".type", "unknown value %q (allowed: %s)", s, allowed(entityTypeNames[:]))
	}
	*t = v
	return nil
}

func (d *Decoder) time(t *time.Time) error {
	s, err := d.rawString("time")
	if err != nil || s == nil {
		return err
	}
	v, ok := parseTimeFast(s)
	if !ok {
		v, err = time.Parse(time.RFC3339Nano, string(s))
		if err != nil {
			return fieldErr("time", "%q is not an RFC 3339 time such as 2026-01-02T15:04:05.000Z", s)
		}
	}
	*t = v
	return nil
}

// parseTimeFast parses "2006-01-02T15:04:05Z" and "2006-01-02T15:04:05.000Z".
func parseTimeFast(s []byte) (time.Time, bool) {
	if (len(s) != 20 && len(s) != 24) || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	ok := true
	num := func(from, to int) int {
		n := 0
		for _, c := range s[from:to] {
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	ms := 0
	if len(s) == 24 {
		ok = ok && s[19] == '.'
		ms = num(20, 23)
	}
	if !ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
		sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*int(time.Millisecond),
		time.UTC)
	// time.Date normalises 31 February into March; the strict parser rejects it instead.
	if t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// str decodes a string (or null) into *dst, interning it.
func (d *Decoder) str(dst *string, field string) error {
	s, err := d.rawString(field)
	if err != nil || s == nil {
		return err
	}
	if v, ok := d.intern[string(s)]; ok {
		*dst = v
		return nil
	}
	v := string(s)
	if len(d.intern) < maxInterned {
		d.intern[v] = v
	}
	*dst = v
	return nil
}

// rawString returns the bytes of a string value, nil for null. The result is valid until
// the next call.
func (d *Decoder) rawString(field string) ([]byte, error) {
	d.field = field
	d.ws()
	if d.null() {
		return nil, nil
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, d.syntax("want a string")
	}
	s, err := d.stringBody()
	if err != nil {
		return nil, err
	}
	if s == nil {
		s = []byte{}
	}
	return s, nil
}

// stringBody reads a string starting at the opening quote.
func (d *Decoder) stringBody() ([]byte, error) {
	d.pos++
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			return s, nil
		}
		if c == '\\' {
			return d.unescape(start)
		}
		if c < 0x20 {
			return nil, d.syntax("control character in string")
		}
		d.pos++
	}
	return nil, d.syntax("unterminated string")
}

func (d *Decoder) unescape(start int) ([]byte, error) {
	out := append(d.scratch[:0], d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			d.scratch = out
			return out, nil
		case c < 0x20:
			return nil, d.syntax("control character in string")
		case c != '\\':
			out = append(out, c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.data) {
			break
		}
		var err error
		out, err = d.escape(out)
		if err != nil {
			return nil, err
		}
	}
	return nil, d.syntax("unterminated string")
}

// escape decodes the escape sequence at d.pos (a backslash) and appends it to out.
func (d *Decoder) escape(out []byte) ([]byte, error) {
	c := d.data[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(out, c), nil
	case 'b':
		return append(out, '\b'), nil
	case 'f':
		return append(out, '\f'), nil
	case 'n':
		return append(out, '\n'), nil
	case 'r':
		return append(out, '\r'), nil
	case 't':
		return append(out, '\t'), nil
	case 'u':
		r, ok := d.hex4()
		if !ok {
			return nil, d.syntax(`invalid \u escape`)
		}
		if utf16.IsSurrogate(r) {
			r = d.lowSurrogate(r)
		}
		return utf8.AppendRune(out, r), nil
	}
	return nil, d.syntax(fmt.Sprintf("invalid escape \\%c", c))
}

func (d *Decoder) lowSurrogate(high rune) rune {
	if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
		save := d.pos
		d.pos += 2
		if low, ok := d.hex4(); ok {
			if r := utf16.DecodeRune(high, low); r != utf8.RuneError {
				return r
			}
		}
		d.pos = save
	}
	return utf8.RuneError
}

func (d *Decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

func (d *Decoder) uint(dst *uint64, field string, limit uint64) error {
	d.field = field
	d.ws()
	if d.null() {
		return nil
	}
	start := d.pos
	for d.pos < len(d.data) && isNumberByte(d.data[d.pos]) {
		d.pos++
	}
	raw := d.data[start:d.pos]
	if len(raw) == 0 {
		return d.syntax("want a number")
	}
	v, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil || v > limit {
		return fieldErr(field, "%s is not an integer in 0..%d", raw, limit)
	}
	*dst = v
	return nil
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func (d *Decoder) bool(dst *bool, field string) error {
	d.field = field
	d.ws()
	switch {
	case d.literal("true"):
		*dst = true
	case d.literal("false"), d.literal("null"):
		*dst = false
	default:
		return d.syntax("want true or false")
	}
	return nil
}

// object reads a JSON object, calling fn for each key with d.pos at the value.
func (d *Decoder) object(fn func(key []byte) error) error {
	field := d.field
	if !d.consume('{') {
		return d.syntax("want an object")
	}
	if d.consume('}') {
		return nil
	}
	for {
		key, err := d.key(field)
		if err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume('}') {
			return nil
		}
		d.field = field
		return d.syntax("want ',' or '}'")
	}
}

// key reads an object key and the colon after it; field is the object's path.
func (d *Decoder) key(field string) ([]byte, error) {
	d.ws()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		d.field = field
		return nil, d.syntax("want a quoted key")
	}
	key, err := d.stringBody()
	if err != nil {
		return nil, err
	}
	if !d.consume(':') {
		d.field = field
		return nil, d.syntax("want ':' after a key")
	}
	return key, nil
}

// skip skips one value of any type.
func (d *Decoder) skip(depth int) error {
	if depth > maxDepth {
		return d.syntax("value nested too deeply")
	}
	d.ws()
	if d.pos >= len(d.data) {
		return d.syntax("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '"':
		_, err := d.stringBody()
		return err
	case c == '{':
		return d.object(func([]byte) error { return d.skip(depth + 1) })
	case c == '[':
		return d.skipArray(depth)
	case c == '-' || (c >= '0' && c <= '9'):
		for d.pos < len(d.data) && isNumberByte(d.data[d.pos]) {
			d.pos++
		}
		return nil
	case d.literal("true"), d.literal("false"), d.literal("null"):
		return nil
	}
	return d.syntax("invalid value")
}

func (d *Decoder) skipArray(depth int) error {
	d.pos++
	if d.consume(']') {
		return nil
	}
	for {
		if err := d.skip(depth + 1); err != nil {
			return err
		}
		if d.consume(',') {
			continue
		}
		if d.consume(']') {
			return nil
		}
		return d.syntax("want ',' or ']'")
	}
}

func (d *Decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// consume skips whitespace and then c if it is next.
func (d *Decoder) consume(c byte) bool {
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *Decoder) null() bool {
	d.ws()
	return d.literal("null")
}

func (d *Decoder) literal(word string) bool {
	if len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word {
		d.pos += len(word)
		return true
	}
	return false
}

func (d *Decoder) syntax(msg string) error {
	return &SyntaxError{Offset: d.pos, Field: d.field, Msg: msg}
}
