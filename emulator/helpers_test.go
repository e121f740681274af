package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	azcorePolicy "github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for Config.Clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// rawClient sends signed REST requests to a Server's handler, without the SDK.
type rawClient struct {
	t   testing.TB
	s   *Server
	key []byte
}

func newRawClient(t testing.TB, cfg Config) *rawClient {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	key, err := base64.StdEncoding.DecodeString(s.Key())
	require.NoError(t, err)
	return &rawClient{t: t, s: s, key: key}
}

// sign returns the master-key Authorization header for a request.
func (c *rawClient) sign(method, path, date string) string {
	var segs []string
	if p := strings.Trim(path, "/"); p != "" {
		segs = strings.Split(p, "/")
	}
	for i, s := range segs {
		segs[i], _ = url.PathUnescape(s)
	}
	var rt route
	rt.resType, rt.resLink = signedResource(segs)
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(stringToSign(method, rt, date)))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return url.QueryEscape("type=master&ver=1.0&sig=" + sig)
}

// do sends a signed request; headers are name/value pairs.
func (c *rawClient) do(method, path, body string, headers ...string) *http.Response {
	c.t.Helper()
	w := httptest.NewRecorder()
	c.s.ServeHTTP(w, c.request(method, path, body, headers...))
	return w.Result()
}

// request builds a signed request; headers are name/value pairs.
func (c *rawClient) request(method, path, body string, headers ...string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://127.0.0.1:8081"+path, r)
	date := time.Now().UTC().Format(http.TimeFormat)
	req.Header.Set("x-ms-date", date)
	req.Header.Set("Authorization", c.sign(method, path, date))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func (c *rawClient) mustDo(want int, method, path, body string, headers ...string) string {
	c.t.Helper()
	res := c.do(method, path, body, headers...)
	b, _ := io.ReadAll(res.Body)
	require.Equal(c.t, want, res.StatusCode, "%s %s: %s", method, path, b)
	return string(b)
}

// setup creates database d and container c partitioned on /pk.
func (c *rawClient) setup(containerJSON string) {
	c.t.Helper()
	c.mustDo(201, "POST", "/dbs", `{"id":"d"}`)
	if containerJSON == "" {
		containerJSON = `{"id":"c","partitionKey":{"paths":["/pk"],"kind":"Hash"}}`
	}
	c.mustDo(201, "POST", "/dbs/d/colls", containerJSON)
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func policyTransport(c *http.Client) azcorePolicy.ClientOptions {
	return azcorePolicy.ClientOptions{Transport: c}
}
