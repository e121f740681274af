package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// errNotObject is returned by eachMember for JSON that is not an object.
var errNotObject = errors.New("not a JSON object")

// eachMember calls fn with the decoded key and raw value of each member of the JSON object
// b, in order, without building a map. b must be valid JSON (json.Valid); fn returning
// false stops the walk.
func eachMember(b []byte, fn func(key string, val []byte) bool) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errNotObject
	}
	i = skipSpace(b, i+1)
	for i < len(b) && b[i] != '}' {
		kEnd := skipString(b, i)
		key := decodeKey(b[i:kEnd])
		i = skipSpace(b, kEnd)
		i = skipSpace(b, i+1) // ':'
		vEnd := skipValue(b, i)
		if !fn(key, b[i:vEnd]) {
			return nil
		}
		i = skipSpace(b, vEnd)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return nil
}

// member returns the raw value of key in the JSON object b, if present.
func member(b []byte, key string) ([]byte, bool) {
	var out []byte
	found := false
	err := eachMember(b, func(k string, v []byte) bool {
		if k == key {
			out, found = v, true
			return false
		}
		return true
	})
	return out, found && err == nil
}

func decodeKey(q []byte) string {
	if bytes.IndexByte(q, '\\') < 0 && utf8.Valid(q) {
		return string(q[1 : len(q)-1])
	}
	var s string
	_ = json.Unmarshal(q, &s)
	return s
}

// plainString returns the JSON string literal q when it needs no decoding (no escapes,
// no control characters, valid UTF-8), without the decoder's allocations; ok is false for
// anything else, which the caller decodes with encoding/json.
func plainString(q []byte) (s string, ok bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", false
	}
	inner := q[1 : len(q)-1]
	for _, c := range inner {
		if c < 0x20 || c == '\\' || c == '"' {
			return "", false
		}
	}
	if !utf8.Valid(inner) {
		return "", false
	}
	return string(inner), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' &&
		b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}
