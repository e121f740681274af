package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxRequestBytes is the service's request size limit (2 MB); larger bodies get 413.
const maxRequestBytes = 2 << 20

// body reads the request body, answering 413 past the limit. A body of known length is
// read into one buffer with stampReserve bytes to spare, so a document written from it is
// stored without another copy (see document.spare).
func (rq *request) body() ([]byte, error) {
	if n := rq.r.ContentLength; n >= 0 && n <= maxRequestBytes {
		b := make([]byte, n, n+stampReserve)
		if _, err := io.ReadFull(rq.r.Body, b); err != nil {
			return nil, badRequest("read request body: %v", err)
		}
		return b, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(rq.w, rq.r.Body, maxRequestBytes+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(b) > maxRequestBytes {
		return nil, newError(kindEntityTooLarge,
			"the request body is over the %d byte limit", maxRequestBytes)
	}
	if err != nil {
		return nil, badRequest("read request body: %v", err)
	}
	return b, nil
}

// decodeBody reads the body as JSON into dst, naming what was expected on failure.
func (rq *request) decodeBody(what string, dst any) error {
	b, err := rq.body()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return badRequest("the %s in the request body is not valid JSON: %v", what, err)
	}
	return nil
}

func (rq *request) header(name string) string { return rq.r.Header.Get(name) }

func (rq *request) isTrue(name string) bool {
	v, _ := strconv.ParseBool(rq.header(name))
	return v
}

// minimal reports whether the client asked for no content in write responses.
func (rq *request) minimal() bool {
	return strings.Contains(strings.ToLower(rq.header(hdrPrefer)), "return=minimal")
}

// checkIfMatch answers 412 when If-Match is set and differs from etag ("*" matches any).
func (rq *request) checkIfMatch(etag string) error {
	want := rq.header(hdrIfMatch)
	if want == "" || want == "*" || want == etag {
		return nil
	}
	return preconditionFailed("the operation specified an etag (%s) different from the "+
		"resource's current etag (%s)", want, etag)
}

// notModified reports whether If-None-Match names etag (or "*"), for conditional reads.
func (rq *request) notModified(etag string) bool {
	v := rq.header(hdrIfNoneMatch)
	return v != "" && (v == "*" || v == etag)
}

// maxItemCount reads x-ms-max-item-count: def when absent or -1, else 1..limit.
func (rq *request) maxItemCount(def, limit int) (int, error) {
	v := rq.header(hdrMaxItemCount)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n == 0 || n < -1:
		return 0, badRequest("x-ms-max-item-count %q: want a positive integer or -1", v)
	case n == -1:
		return def, nil
	}
	return min(n, limit), nil
}

// offerFromHeaders reads the throughput a create request asks for.
func (rq *request) offerFromHeaders() (offerSettings, error) {
	var o offerSettings
	if v := rq.header(hdrOfferThroughput); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return o, badRequest("x-ms-offer-throughput %q: want a positive integer", v)
		}
		o.Throughput = n
	}
	if v := rq.header(hdrOfferAutopilot); v != "" {
		var ap struct {
			MaxThroughput int `json:"maxThroughput"`
		}
		if err := json.Unmarshal([]byte(v), &ap); err != nil || ap.MaxThroughput <= 0 {
			return o, badRequest("x-ms-cosmos-offer-autopilot-settings %q: want JSON with a "+
				"positive maxThroughput", v)
		}
		if o.Throughput != 0 {
			return o, badRequest("give either x-ms-offer-throughput or " +
				"x-ms-cosmos-offer-autopilot-settings, not both")
		}
		o.Autopilot = v
	}
	return o, nil
}

// feedBody is the envelope of feeds and query results: {"_rid", <key>: [...], "_count"}.
func feedBody(rid, key string, docs [][]byte) []byte {
	n := 32 + len(rid) + len(key)
	for _, d := range docs {
		n += len(d) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"_rid":`...)
	b = strconv.AppendQuote(b, rid)
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":[`...)
	for i, d := range docs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	b = append(b, `],"_count":`...)
	b = strconv.AppendInt(b, int64(len(docs)), 10)
	return append(b, '}')
}
