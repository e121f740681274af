package emulator

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzServeHTTP sends signed requests with arbitrary paths, headers and bodies: the answer
// is never a 500 (a panic or an unmapped error), whatever the input.
func FuzzServeHTTP(f *testing.F) {
	seeds := []struct {
		method uint8
		path   string
		pk     string
		flags  uint8
		body   string
	}{
		{1, "/dbs/d/colls/c/docs", `["a"]`, 0, `{"id":"1","pk":"a"}`},
		{1, "/dbs/d/colls/c/docs", `["a"]`, 1, `{"query":"SELECT * FROM c WHERE c.x > @p","parameters":[{"name":"@p","value":1}]}`},
		{1, "/dbs/d/colls/c/docs", `["a"]`, 2, `[{"operationType":"Create","resourceBody":{"id":"2","pk":"a"}}]`},
		{4, "/dbs/d/colls/c/docs/1", `["a"]`, 0, `{"operations":[{"op":"incr","path":"/n","value":1}]}`},
		{2, "/dbs/d/colls/c/docs/1", `["a"]`, 0, `{"id":"1","pk":"a","n":[1,{"x":null}]}`},
		{0, "/dbs/d/colls/c/docs", "", 3, ""},
		{0, "/dbs/d/colls/c/pkranges", "", 3, ""},
		{1, "/dbs/d/colls", "", 0, `{"id":"x","partitionKey":{"paths":["/a/b"]},"uniqueKeyPolicy":{"uniqueKeys":[{"paths":["/u"]}]}}`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.pk, s.flags, []byte(s.body))
	}
	methods := []string{"GET", "POST", "PUT", "DELETE", "PATCH"}
	c := newRawClient(f, Config{})
	c.setup("")
	date := time.Now().UTC().Format(http.TimeFormat)
	f.Fuzz(func(t *testing.T, method uint8, path, pk string, flags uint8, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " ?#\x00\r\n\t") {
			return
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return
		}
		m := methods[int(method)%len(methods)]
		req := httptest.NewRequest(m, "http://127.0.0.1:8081"+path, strings.NewReader(string(body)))
		req.Header.Set("x-ms-date", date)
		req.Header.Set("Authorization", c.sign(m, path, date))
		if pk != "" && !strings.ContainsAny(pk, "\x00\r\n") {
			req.Header.Set(hdrPartitionKey, pk)
		}
		if flags&1 != 0 {
			req.Header.Set(hdrIsQuery, "True")
			req.Header.Set(hdrCrossPartition, "true")
		}
		if flags&2 != 0 {
			req.Header.Set(hdrIsBatch, "True")
		}
		if flags&3 == 3 {
			req.Header.Set(hdrAIM, "Incremental Feed")
		}
		w := httptest.NewRecorder()
		c.s.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s (pk %q): %d %s", m, path, pk, w.Code, w.Body)
		}
	})
}
