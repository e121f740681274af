package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
)

// sensorArgs are the flags of a small, fast recording: two tenants, several sensors each,
// attacks, a compressed clock so that churn and working hours show.
var sensorArgs = []string{"--seed", "5", "--duration", "2s", "--rate", "3000",
	"--tenants", "2", "--users", "1200", "--sensors", "3", "--compression", "3600",
	"--attacks", "brute-force@500ms+1s,lateral-movement@1s"}

// runSensorsCLI runs the binary's main with args and returns its exit code and output.
func runSensorsCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = mainWithArgs(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func recordFixture(t *testing.T, path string, extra ...string) []byte {
	t.Helper()
	args := append([]string{"sensors", "--record", path}, sensorArgs...)
	code, _, stderr := runSensorsCLI(t, append(args, extra...)...)
	require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotEmpty(t, data)
	return data
}

func TestSensorsRecordIsReproducible(t *testing.T) {
	dir := t.TempDir()
	a := recordFixture(t, filepath.Join(dir, "a.ndjson"))
	b := recordFixture(t, filepath.Join(dir, "b.ndjson"))
	require.True(t, bytes.Equal(a, b), "two recordings of one seed differ")
	c := recordFixture(t, filepath.Join(dir, "c.ndjson"), "--seed", "6")
	require.False(t, bytes.Equal(a, c), "another seed gives the same recording")
}

func TestSensorsShardsMakeTheWhole(t *testing.T) {
	dir := t.TempDir()
	whole := recordFixture(t, filepath.Join(dir, "all.ndjson"))
	var pieces []string
	for i := range 4 {
		path := filepath.Join(dir, fmt.Sprintf("s%d.ndjson", i))
		data := recordFixture(t, path, "--shard", fmt.Sprintf("%d/4", i))
		pieces = append(pieces, lines(data)...)
	}
	want := lines(whole)
	slices.Sort(want)
	slices.Sort(pieces)
	require.Equal(t, len(want), len(pieces))
	require.True(t, slices.Equal(want, pieces), "the shards together differ from the whole")
}

func lines(data []byte) []string {
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestSensorsBadFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"unknown flag", []string{"--no-such-flag"}, "not defined: -no-such-flag"},
		{"not a number", []string{"--record", "-", "--rate", "fast"}, `invalid value "fast" for flag -rate`},
		{"neither target nor record", nil, "--target URL and --record FILE"},
		{"both target and record", []string{"--target", "http://127.0.0.1:1", "--record", "-"},
			"--target URL and --record FILE"},
		{"shard out of range", []string{"--record", "-", "--shard", "3/2"}, `shard "3/2"`},
		{"bad profile", []string{"--record", "-", "--profile", "wavy"}, `profile "wavy": want one of`},
		{"bad attack", []string{"--record", "-", "--attacks", "phishing@1s"},
			`attack kind "phishing": want one of`},
		{"bad mix", []string{"--record", "-", "--mix", "ntlm=x"}, `"ntlm=x": weight is not a number`},
		{"bad start", []string{"--record", "-", "--start", "monday"}, `start "monday": want RFC 3339`},
		{"too many users", []string{"--record", "-", "--users", "2000000"},
			"users: want 1..1000000, got 2000000"},
		{"argument", []string{"--record", "-", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runSensorsCLI(t, append([]string{"sensors"}, tt.args...)...)
			require.Equal(t, ExitBadInput, code, "stderr:\n%s", stderr)
			require.Contains(t, stderr, tt.wantStderr)
			require.Empty(t, stdout, "nothing recorded on bad input")
		})
	}
}

// acceptAll is a backend that acknowledges every well-formed batch and counts its events
// per batch id.
type acceptAll struct {
	mu      sync.Mutex
	events  map[string]int
	tokens  map[string]bool
	invalid []string
}

func (s *acceptAll) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	var b *api.Batch
	if err == nil {
		b, err = api.DecodeBatch(body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || r.URL.Path != api.IngestPath {
		s.invalid = append(s.invalid, fmt.Sprintf("%s: %v", r.URL.Path, err))
		http.Error(w, "bad batch", http.StatusBadRequest)
		return
	}
	s.tokens[r.Header.Get(api.HeaderAuthorization)] = true
	s.events[b.ID] = len(b.Events)
	_ = json.NewEncoder(w).Encode(api.Ack{BatchID: b.ID, Accepted: len(b.Events)})
}

func readBody(r *http.Request) ([]byte, error) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == api.EncodingGzip {
		z, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		body = z
	}
	return io.ReadAll(body)
}

func TestSensorsAgainstAnAcceptingBackend(t *testing.T) {
	backend := &acceptAll{events: map[string]int{}, tokens: map[string]bool{}}
	server := httptest.NewServer(backend) // listens on 127.0.0.1
	defer server.Close()

	code, stdout, stderr := runSensorsCLI(t, "sensors", "--target", server.URL, "--token", "s3cret",
		"--duration", "1s", "--rate", "2000", "--users", "1000", "--sensors", "4",
		"--batch-wait", "100ms", "--gzip", "--attacks", "password-spray@200ms+300ms")
	require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
	require.NotContains(t, stderr, "s3cret", "the token is logged")

	var totals struct {
		Generated, Acked, Missed, Dropped, Rejected, Failed, Unsent, Batches int64
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &totals), "stdout:\n%s", stdout)
	backend.mu.Lock()
	defer backend.mu.Unlock()
	require.Empty(t, backend.invalid)
	received := 0
	for _, n := range backend.events {
		received += n
	}
	require.Positive(t, totals.Generated)
	require.Equal(t, totals.Generated, totals.Acked, "every generated event acknowledged")
	require.EqualValues(t, received, totals.Acked, "acks match what the backend received")
	require.EqualValues(t, len(backend.events), totals.Batches)
	require.Zero(t, totals.Missed+totals.Dropped+totals.Rejected+totals.Failed+totals.Unsent)
	require.Equal(t, map[string]bool{"Bearer s3cret": true}, backend.tokens)
}

func TestSensorsReportsUnacknowledgedEvents(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer server.Close()
	code, _, stderr := runSensorsCLI(t, "sensors", "--target", server.URL, "--duration", "300ms",
		"--rate", "500", "--batch-wait", "50ms")
	require.Equal(t, ExitFailure, code, "stderr:\n%s", stderr)
	require.Contains(t, stderr, "not acknowledged")
	require.Contains(t, stderr, "rejected")
}
