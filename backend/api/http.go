package api

import (
	"fmt"
	"strings"
)

// The HTTP contract. A sensor sends
//
//	POST /v1/ingest/batches
//	Authorization: Bearer <token its tenant was issued at onboarding>
//	Content-Type: application/json
//	Content-Encoding: gzip          (optional)
//	<Batch as JSON>
//
// and the backend answers with one of
//
//	200 OK                      Ack (also for a duplicate, with Duplicate set)
//	400 Bad Request             Problem naming the field and event index
//	401 Unauthorized            missing or unknown token
//	403 Forbidden               token of another tenant than Batch.Tenant
//	413 Content Too Large       body beyond MaxBodyBytes or MaxEventsPerBatch events
//	415 Unsupported Media Type  other Content-Type or Content-Encoding
//	429 Too Many Requests       push back; retry after Retry-After seconds
//	503 Service Unavailable     not ready or overloaded; retry after Retry-After seconds
//
// Sensors retry 429, 503, other 5xx and transport errors with backoff, resending the same
// batch (same ID), and never retry other 4xx.
const (
	// IngestPath is the path batches are posted to.
	IngestPath = "/v1/ingest/batches"
	// ContentTypeJSON is the only accepted batch content type.
	ContentTypeJSON = "application/json"
	// ContentTypeProblem is the content type of Problem responses (RFC 9457).
	ContentTypeProblem = "application/problem+json"
	// EncodingGzip is the optional Content-Encoding of batch bodies.
	EncodingGzip = "gzip"
	// HeaderRetryAfter carries the seconds to wait on 429 and 503.
	HeaderRetryAfter = "Retry-After"
	// HeaderAuthorization carries "Bearer <token>".
	HeaderAuthorization = "Authorization"
	// BearerPrefix precedes the token in the Authorization header.
	BearerPrefix = "Bearer "
)

// Ack is the 200 response body.
type Ack struct {
	// BatchID echoes Batch.ID.
	BatchID string `json:"batch_id"`
	// Accepted is the number of events acknowledged (0 for a duplicate).
	Accepted int `json:"accepted"`
	// Duplicate is set when the batch id was already acknowledged; the events were not
	// counted again.
	Duplicate bool `json:"duplicate"`
}

// Problem is the body of 4xx and 5xx responses (RFC 9457 problem details).
type Problem struct {
	// Title is a short summary, e.g. "invalid batch".
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains the problem, e.g. `events[12].kind: unknown value "x"`.
	Detail string `json:"detail,omitempty"`
	// Field is the JSON path of the offending field, e.g. "events[12].kind", if any.
	Field string `json:"field,omitempty"`
}

// Bearer returns the Authorization header value for token.
func Bearer(token string) string { return BearerPrefix + token }

// TokenFromHeader extracts the token from an Authorization header value; ok is false when
// the value is not a non-empty bearer token.
func TokenFromHeader(value string) (token string, ok bool) {
	if len(value) <= len(BearerPrefix) || !strings.EqualFold(value[:len(BearerPrefix)], BearerPrefix) {
		return "", false
	}
	token = strings.TrimSpace(value[len(BearerPrefix):])
	return token, token != ""
}

// FieldError is one problem with a batch, located by its JSON path.
type FieldError struct {
	// Field is the JSON path: "tenant", "events", "events[3].time", ...
	Field string
	// Msg says what is wrong and, for enums, which values are allowed.
	Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// eventField returns the JSON path of field name of event i ("events[i]" for name "").
func eventField(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("events[%d]", i)
	}
	return fmt.Sprintf("events[%d].%s", i, name)
}
