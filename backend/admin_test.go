package backend

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/emulator"
)

const testAdminToken = "admin-secret"

// adminServer serves b's admin API on a loopback port.
func adminServer(t *testing.T, b *Backend) string {
	t.Helper()
	srv := httptest.NewServer(b.AdminHandler(testAdminToken))
	t.Cleanup(srv.Close)
	return srv.URL
}

// postAdmin posts body (empty: none) to path with the admin token (empty: none) and
// returns the status and the answer.
func postAdmin(t *testing.T, base, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path,
		strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set(api.HeaderAuthorization, api.Bearer(token))
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(out)
}

func decodeRestart(t *testing.T, body string) RestartAnswer {
	t.Helper()
	var ans RestartAnswer
	require.NoError(t, json.Unmarshal([]byte(body), &ans), body)
	return ans
}

// TestAdminRestartNode restarts nodes over loopback HTTP: a crash answers exactly what
// the node held unstored as dropped, a graceful restart with downtime stays down that long,
// and nodes are found by index or by name.
func TestAdminRestartNode(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, func(c *Config) {
		c.Nodes, c.FlushInterval, c.NodeNames = 1, time.Hour, []string{"ingest-a"}
	})
	base := adminServer(t, b)
	a := onboard(t, b, "tenant-admin", "dc1")
	acked := ingestSome(t, b, a, 3, 20, 1)

	code, body := postAdmin(t, base, "/v1/admin/nodes/0/restart", testAdminToken,
		`{"mode": "crash"}`)
	require.Equal(t, http.StatusOK, code, body)
	crash := decodeRestart(t, body)
	require.Equal(t, RestartAnswer{Node: "ingest-a", Mode: RestartCrash, Dropped: acked,
		StoppingSeconds: crash.StoppingSeconds, DownSeconds: crash.DownSeconds}, crash)

	after := ingestSome(t, b, a, 2, 20, 100)
	code, body = postAdmin(t, base,
		"/v1/admin/nodes/ingest-a/restart?mode=graceful&downtime=300ms&gracePeriod=10s",
		testAdminToken, "")
	require.Equal(t, http.StatusOK, code, body)
	graceful := decodeRestart(t, body)
	require.Equal(t, RestartGraceful, graceful.Mode)
	require.Equal(t, after, graceful.Stored, "it stored what it held before going down")
	require.Zero(t, graceful.Dropped)
	require.False(t, graceful.Killed)
	require.GreaterOrEqual(t, graceful.DownSeconds, 0.3)
	require.Equal(t, int64(2), b.Stats().NodeRestarts)
}

func TestAdminRestartNodeRefusesBadInput(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	base := adminServer(t, b)
	for _, tc := range []struct {
		name, path, token, body string
		code                    int
		want                    string
	}{
		{"no token", "/v1/admin/nodes/0/restart", "", "", http.StatusForbidden, "token"},
		{"wrong token", "/v1/admin/nodes/0/restart", "nope", "", http.StatusForbidden,
			"token"},
		{"node out of range", "/v1/admin/nodes/2/restart", testAdminToken, "",
			http.StatusBadRequest, "node 2: want an index from 0 to 1, or a name of"},
		{"unknown node name", "/v1/admin/nodes/node-x/restart", testAdminToken, "",
			http.StatusBadRequest, `node "node-x": want an index from 0 to 1`},
		{"unknown mode", "/v1/admin/nodes/0/restart?mode=reboot", testAdminToken, "",
			http.StatusBadRequest, `mode "reboot": want one of graceful, crash`},
		{"bad downtime", "/v1/admin/nodes/0/restart?downtime=5", testAdminToken, "",
			http.StatusBadRequest, `downtime "5": want a duration such as 5s`},
		{"negative downtime", "/v1/admin/nodes/0/restart", testAdminToken,
			`{"downtime": "-1s"}`, http.StatusBadRequest, `downtime "-1s": want a positive`},
		{"zero grace period", "/v1/admin/nodes/0/restart?gracePeriod=0s", testAdminToken, "",
			http.StatusBadRequest, `gracePeriod "0s": want a positive duration`},
		{"grace period of a crash", "/v1/admin/nodes/0/restart", testAdminToken,
			`{"mode": "crash", "gracePeriod": "5s"}`, http.StatusBadRequest,
			"gracePeriod: applies to mode graceful only"},
		{"unknown query parameter", "/v1/admin/nodes/0/restart?downTime=1s", testAdminToken,
			"", http.StatusBadRequest, `query parameter "downTime": unknown`},
		{"unknown body field", "/v1/admin/nodes/0/restart", testAdminToken,
			`{"grace": "5s"}`, http.StatusBadRequest, `unknown field "grace"`},
		{"not JSON", "/v1/admin/nodes/0/restart", testAdminToken, `mode=crash`,
			http.StatusBadRequest, "invalid JSON body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := postAdmin(t, base, tc.path, tc.token, tc.body)
			require.Equal(t, tc.code, code, body)
			require.Contains(t, body, tc.want)
		})
	}
	require.Zero(t, b.Stats().NodeRestarts, "no bad request restarted a node")
}

// TestAdminRestartNodeConflicts: a second restart of a node while one runs answers 409 at
// once instead of queueing; a backend not running answers 503.
func TestAdminRestartNodeConflicts(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	base := adminServer(t, b)
	first := make(chan int, 1)
	go func() {
		code, _ := postAdmin(t, base, "/v1/admin/nodes/1/restart?downtime=1s", testAdminToken,
			"")
		first <- code
	}()
	require.Eventually(t, func() bool { // the first restart holds node 1
		if b.lives[1].mu.TryLock() {
			b.lives[1].mu.Unlock()
			return false
		}
		return true
	}, 5*time.Second, time.Millisecond)
	code, body := postAdmin(t, base, "/v1/admin/nodes/1/restart?mode=crash", testAdminToken,
		"")
	require.Equal(t, http.StatusConflict, code, body)
	require.Contains(t, body, "a restart of this node is already running")
	code, body = postAdmin(t, base, "/v1/admin/nodes/0/restart", testAdminToken, "")
	require.Equal(t, http.StatusOK, code, "another node restarts meanwhile: %s", body)
	require.Equal(t, http.StatusOK, <-first)

	idle, _ := idleBackend(t, 1)
	idle.ready.Store(false)
	code, body = postAdmin(t, adminServer(t, idle), "/v1/admin/nodes/0/restart",
		testAdminToken, "")
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	require.Contains(t, body, "backend not running")
}

// FuzzAdminRestartRequest feeds the restart endpoint's parsing any query and body: it never
// panics, and whatever it accepts is a restart RestartNode accepts, with no grace period
// on a crash.
func FuzzAdminRestartRequest(f *testing.F) {
	f.Add("mode=graceful&downtime=5s&gracePeriod=60s", "")
	f.Add("", `{"mode": "crash"}`)
	f.Add("mode=crash", `{"mode": "graceful", "gracePeriod": "1m30s"}`)
	f.Add("downtime=-1s", `{"downtime": "1e9h"}`)
	f.Add("gracePeriod=0s&x=1", `{"grace": 1}`)
	f.Add("%zz", `{"mode": null, "downtime": ""}`)
	f.Fuzz(func(t *testing.T, query, body string) {
		r := httptest.NewRequest(http.MethodPost, "/v1/admin/nodes/0/restart",
			strings.NewReader(body))
		r.URL.RawQuery = query
		req, err := readRestartRequest(r)
		if err != nil {
			return
		}
		opts, err := req.options()
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		require.NoError(t, opts.Validate())
		require.GreaterOrEqual(t, opts.Downtime, time.Duration(0))
		require.GreaterOrEqual(t, opts.GracePeriod, time.Duration(0))
		if opts.Mode == RestartCrash {
			require.Zero(t, opts.GracePeriod, "a crash has no grace period")
		}
	})
}
