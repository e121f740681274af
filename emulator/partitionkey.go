package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/stampede-load/stampede/emulator/epk"
)

// maxPartitionKeyBytes is the service's limit on one partition key value (large keys).
const maxPartitionKeyBytes = 2048

// partitionKey is a parsed partition key value: its components (string, float64, bool, nil,
// or epk.Undefined for a path missing from the document) and the canonical JSON array text
// used as the item map key.
type partitionKey struct {
	parts []any
	key   string
}

// newPartitionKey builds the canonical form of parts.
func newPartitionKey(parts []any) partitionKey {
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		writeKeyComponent(&b, p)
	}
	b.WriteByte(']')
	return partitionKey{parts: parts, key: b.String()}
}

func writeKeyComponent(b *strings.Builder, p any) {
	switch v := p.(type) {
	case string:
		q, _ := json.Marshal(v)
		b.Write(q)
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		b.WriteString("{}")
	}
}

// hasPrefix reports whether k starts with the components of prefix (hierarchical keys).
func (k partitionKey) hasPrefix(prefix partitionKey) bool {
	if len(prefix.parts) > len(k.parts) {
		return false
	}
	for i, p := range prefix.parts {
		if !sameComponent(k.parts[i], p) {
			return false
		}
	}
	return true
}

func sameComponent(a, b any) bool {
	switch av := a.(type) {
	case epk.Undefined:
		_, ok := b.(epk.Undefined)
		return ok
	default:
		return a == b || (av == nil && b == nil)
	}
}

// parsePartitionKeyHeader parses x-ms-documentdb-partitionkey: a JSON-like array whose string
// elements are quoted with Go's strconv.QuoteToASCII (so \U0001f600 and \x01 escapes occur).
func parsePartitionKeyHeader(h string) (partitionKey, error) {
	p := pkParser{s: strings.TrimSpace(h)}
	parts, err := p.parse()
	if err != nil {
		return partitionKey{}, badRequest(
			"invalid partition key header %q: %v (want a JSON array such as [\"a\"])", h, err)
	}
	return newPartitionKey(parts), nil
}

type pkParser struct {
	s   string
	pos int
}

func (p *pkParser) parse() ([]any, error) {
	if len(p.s) > 4*maxPartitionKeyBytes {
		return nil, errors.New("too long")
	}
	if !p.consume('[') {
		return nil, errors.New("missing '['")
	}
	var parts []any
	p.skipSpace()
	if p.consume(']') {
		return nil, errors.New("empty array")
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		parts = append(parts, v)
		p.skipSpace()
		if p.consume(']') {
			break
		}
		if !p.consume(',') {
			return nil, fmt.Errorf("want ',' or ']' at offset %d", p.pos)
		}
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, fmt.Errorf("trailing text at offset %d", p.pos)
	}
	if len(parts) > 8 {
		return nil, errors.New("more than 8 components")
	}
	return parts, nil
}

func (p *pkParser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *pkParser) consume(c byte) bool {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *pkParser) value() (any, error) {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return nil, errors.New("unexpected end")
	}
	rest := p.s[p.pos:]
	switch {
	case rest[0] == '"':
		return p.str()
	case strings.HasPrefix(rest, "{}"):
		p.pos += 2
		return epk.Undefined{}, nil
	case strings.HasPrefix(rest, "null"):
		p.pos += 4
		return nil, nil
	case strings.HasPrefix(rest, "true"):
		p.pos += 4
		return true, nil
	case strings.HasPrefix(rest, "false"):
		p.pos += 5
		return false, nil
	}
	return p.number()
}

// str reads a quoted string, accepting both JSON and Go escapes.
func (p *pkParser) str() (any, error) {
	end := p.pos + 1
	for end < len(p.s) && p.s[end] != '"' {
		if p.s[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(p.s) {
		return nil, errors.New("unterminated string")
	}
	lit := p.s[p.pos : end+1]
	p.pos = end + 1
	if v, err := strconv.Unquote(lit); err == nil {
		return v, nil
	}
	var v string
	if err := json.Unmarshal([]byte(lit), &v); err != nil {
		return nil, fmt.Errorf("bad string %s", lit)
	}
	return v, nil
}

func (p *pkParser) number() (any, error) {
	end := p.pos
	for end < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[end]) >= 0 {
		end++
	}
	lit := p.s[p.pos:end]
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || lit == "" || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("bad value at offset %d", p.pos)
	}
	p.pos = end
	return f, nil
}

// pkDefinition is a container's partition key definition.
type pkDefinition struct {
	Paths   []string `json:"paths"`
	Kind    string   `json:"kind"`
	Version int      `json:"version,omitempty"`
	// segments are the paths split on '/', e.g. "/a/b" -> ["a","b"].
	segments [][]string
}

func (d *pkDefinition) validate() error {
	if len(d.Paths) == 0 {
		return badRequest("partitionKey.paths: want at least one path such as \"/pk\"")
	}
	if len(d.Paths) > 3 {
		return badRequest("partitionKey.paths: at most 3 paths, got %d", len(d.Paths))
	}
	d.segments = d.segments[:0]
	for _, path := range d.Paths {
		segs, err := splitPath(path)
		if err != nil {
			return badRequest("partitionKey.paths: %v", err)
		}
		d.segments = append(d.segments, segs)
	}
	if d.Kind == "" {
		d.Kind = "Hash"
		if len(d.Paths) > 1 {
			d.Kind = "MultiHash"
		}
	}
	if d.Kind != "Hash" && d.Kind != "MultiHash" {
		return badRequest("partitionKey.kind %q: want Hash or MultiHash", d.Kind)
	}
	if d.Version == 0 {
		d.Version = 2
	}
	return nil
}

func (d *pkDefinition) scheme() epk.Scheme {
	return epk.Scheme{Kind: epk.Kind(d.Kind), Version: d.Version}
}

// splitPath splits a JSON path such as /a/b or /"a b"/c into its property names.
func splitPath(path string) ([]string, error) {
	if !strings.HasPrefix(path, "/") || len(path) < 2 {
		return nil, fmt.Errorf("path %q: want a path starting with '/'", path)
	}
	var segs []string
	for _, s := range strings.Split(path[1:], "/") {
		if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
			s = s[1 : len(s)-1]
		}
		if s == "" {
			return nil, fmt.Errorf("path %q: empty segment", path)
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// extract reads the partition key of a document (valid JSON) from its properties.
func (d *pkDefinition) extract(doc []byte) (partitionKey, error) {
	parts := make([]any, len(d.segments))
	for i, segs := range d.segments {
		v, err := lookupKeyValue(doc, segs)
		if err != nil {
			return partitionKey{}, badRequest("partition key %s: %v", d.Paths[i], err)
		}
		parts[i] = v
	}
	pk := newPartitionKey(parts)
	if len(pk.key) > maxPartitionKeyBytes {
		return partitionKey{}, badRequest("partition key is %d bytes, over the %d byte limit",
			len(pk.key), maxPartitionKeyBytes)
	}
	return pk, nil
}

func lookupKeyValue(obj []byte, segs []string) (any, error) {
	raw, ok := member(obj, segs[0])
	if !ok {
		return epk.Undefined{}, nil
	}
	if len(segs) > 1 {
		return lookupKeyValue(raw, segs[1:])
	}
	if s, ok := plainString(raw); ok {
		return s, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	switch v.(type) {
	case string, float64, bool, nil:
		return v, nil
	}
	return nil, errors.New("value must be a string, number, boolean or null")
}
