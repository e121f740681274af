package api

import (
	"strconv"
	"time"
)

// AppendBatchJSON appends the wire JSON of b to dst and returns the extended slice. It does
// not validate b; call Batch.Validate first if b comes from elsewhere. Safe for concurrent
// use with distinct dst.
func AppendBatchJSON(dst []byte, b *Batch) []byte {
	dst = append(dst, `{"tenant":`...)
	dst = appendString(dst, b.Tenant)
	dst = append(dst, `,"sensor":`...)
	dst = appendString(dst, b.Sensor)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, b.Sequence, 10)
	dst = append(dst, `,"id":`...)
	dst = appendString(dst, b.ID)
	dst = append(dst, `,"events":[`...)
	for i := range b.Events {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendEventFields(append(dst, '{'), &b.Events[i])
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// AppendEventJSON appends the wire JSON object of one event to dst.
func AppendEventJSON(dst []byte, e *Event) []byte {
	dst = appendEventFields(append(dst, '{'), e)
	return append(dst, '}')
}

// AppendRecordJSON appends one line of a recording: the event's JSON object with "tenant"
// and "sensor" first, followed by '\n'. DecodeRecord reads it back.
func AppendRecordJSON(dst []byte, tenant, sensor string, e *Event) []byte {
	dst = append(dst, `{"tenant":`...)
	dst = appendString(dst, tenant)
	dst = append(dst, `,"sensor":`...)
	dst = appendString(dst, sensor)
	dst = append(dst, ',')
	dst = appendEventFields(dst, e)
	return append(dst, "}\n"...)
}

func appendEventFields(dst []byte, e *Event) []byte {
	dst = append(dst, `"kind":"`...)
	dst = append(dst, e.Kind.String()...)
	dst = append(dst, `","time":"`...)
	dst = AppendTime(dst, e.Time)
	dst = append(dst, '"')
	if !e.Source.IsZero() {
		dst = appendEntity(append(dst, `,"src":`...), e.Source)
	}
	if e.SourceHost != "" {
		dst = appendString(append(dst, `,"src_host":`...), e.SourceHost)
	}
	if !e.Target.IsZero() {
		dst = appendEntity(append(dst, `,"dst":`...), e.Target)
	}
	if e.TargetHost != "" {
		dst = appendString(append(dst, `,"dst_host":`...), e.TargetHost)
	}
	dst = append(dst, `,"result":"`...)
	dst = append(dst, e.Result.String()...)
	dst = append(dst, '"')
	return appendOptionalFields(dst, e)
}

func appendOptionalFields(dst []byte, e *Event) []byte {
	if e.LogonType != 0 {
		dst = strconv.AppendUint(append(dst, `,"logon_type":`...), uint64(e.LogonType), 10)
	}
	if e.Admin {
		dst = append(dst, `,"admin":true`...)
	}
	if e.Encryption != EncNone {
		dst = append(dst, `,"enc":"`...)
		dst = append(dst, e.Encryption.String()...)
		dst = append(dst, '"')
	}
	if e.Query != "" {
		dst = appendString(append(dst, `,"query":`...), e.Query)
	}
	if e.Count != 0 {
		dst = strconv.AppendUint(append(dst, `,"count":`...), uint64(e.Count), 10)
	}
	if e.Attribute != "" {
		dst = appendString(append(dst, `,"attr":`...), e.Attribute)
	}
	return dst
}

func appendEntity(dst []byte, r EntityRef) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, r.Type.String()...)
	dst = append(dst, `","name":`...)
	dst = appendString(dst, r.Name)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Bytes >= 0x80 are copied as they are; Validate
// rejects strings that are not valid UTF-8.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendTime appends t in UTC as "2006-01-02T15:04:05.000Z" (RFC 3339, milliseconds), the
// wire form of Event.Time. Years outside 0..9999 are clamped.
func AppendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	year = min(max(year, 0), 9999)
	ms := t.Nanosecond() / int(time.Millisecond)
	dst = append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
	return dst
}
