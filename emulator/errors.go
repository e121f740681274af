package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// errorKind classifies a failure; errorResponse maps each kind to the status, substatus and
// JSON code the real service answers with.
type errorKind int

const (
	kindInternal errorKind = iota
	kindBadRequest
	kindUnauthorized
	kindForbidden
	kindNotFound
	kindMethodNotAllowed
	kindConflict
	kindPreconditionFailed
	kindEntityTooLarge
	kindFailedDependency
	kindTooManyRequests
	kindServiceUnavailable
	kindGone
	kindLocked
)

// Error is a failure of one request, carried from the store to the HTTP layer. Handlers and
// the store return it (or wrap it); writeError is the one place that turns it into a response.
type Error struct {
	kind       errorKind
	substatus  int
	retryAfter int64 // milliseconds, for 429
	msg        string
}

func (e *Error) Error() string { return e.msg }

func newError(kind errorKind, format string, args ...any) *Error {
	return &Error{kind: kind, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error {
	return newError(kindBadRequest, format, args...)
}

func notFound(format string, args ...any) *Error {
	return newError(kindNotFound, format, args...)
}

func conflict(format string, args ...any) *Error {
	return newError(kindConflict, format, args...)
}

func preconditionFailed(format string, args ...any) *Error {
	return newError(kindPreconditionFailed, format, args...)
}

func unauthorized(format string, args ...any) *Error {
	return newError(kindUnauthorized, format, args...)
}

// throttled is the 429 answered when the Throttler refuses admission.
func throttled(retryAfterMS int64) *Error {
	return &Error{
		kind: kindTooManyRequests, substatus: 3200, retryAfter: retryAfterMS,
		msg: "Request rate is large. More Request Units may be needed, so no changes were " +
			"made. Please retry this request later.",
	}
}

// errorStatus is the status line, JSON code and default substatus of one errorKind.
type errorStatus struct {
	status int
	code   string
}

var errorStatuses = map[errorKind]errorStatus{
	kindInternal:           {http.StatusInternalServerError, "InternalServerError"},
	kindBadRequest:         {http.StatusBadRequest, "BadRequest"},
	kindUnauthorized:       {http.StatusUnauthorized, "Unauthorized"},
	kindForbidden:          {http.StatusForbidden, "Forbidden"},
	kindNotFound:           {http.StatusNotFound, "NotFound"},
	kindMethodNotAllowed:   {http.StatusMethodNotAllowed, "MethodNotAllowed"},
	kindConflict:           {http.StatusConflict, "Conflict"},
	kindPreconditionFailed: {http.StatusPreconditionFailed, "PreconditionFailed"},
	kindEntityTooLarge:     {http.StatusRequestEntityTooLarge, "RequestEntityTooLarge"},
	kindFailedDependency:   {http.StatusFailedDependency, "FailedDependency"},
	kindTooManyRequests:    {http.StatusTooManyRequests, "TooManyRequests"},
	kindServiceUnavailable: {http.StatusServiceUnavailable, "ServiceUnavailable"},
	kindGone:               {http.StatusGone, "Gone"},
	kindLocked:             {http.StatusLocked, "Locked"},
}

// errorResponse maps any error to what the service answers: status, substatus, JSON code and
// message. Errors that are not *Error are internal failures (500).
func errorResponse(err error) (status, substatus int, code, msg string) {
	var e *Error
	if !errors.As(err, &e) {
		return http.StatusInternalServerError, 0, "InternalServerError", err.Error()
	}
	st := errorStatuses[e.kind]
	return st.status, e.substatus, st.code, e.msg
}

// writeError answers err in the service's shape: the status, x-ms-substatus, and a JSON body
// {"code","message"}. Request charge and activity id are set by the caller's response writer.
func writeError(w http.ResponseWriter, err error) {
	status, substatus, code, msg := errorResponse(err)
	h := w.Header()
	if substatus != 0 {
		h.Set(hdrSubstatus, strconv.Itoa(substatus))
	}
	var e *Error
	if errors.As(err, &e) && e.kind == kindTooManyRequests {
		h.Set(hdrRetryAfterMS, strconv.FormatInt(e.retryAfter, 10))
	}
	body, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}{code, msg})
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
