package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

var readyLine = regexp.MustCompile(`^emulator ready: endpoint=(\S+) key=(\S+)$`)

// startEmulatorCommand runs `stampede emulator` with args until the returned cancel is
// called, and returns its endpoint and key from the ready line.
func startEmulatorCommand(t *testing.T, args ...string) (endpoint, key string,
	stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- mainWithArgs(ctx, append([]string{"emulator"}, args...), pw, stderr)
		pw.Close()
	}()

	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err, "no ready line; stderr:\n%s", stderr.String())
	m := readyLine.FindStringSubmatch(strings.TrimSpace(line))
	require.NotNil(t, m, "ready line %q", line)
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain anything printed later

	stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(10 * time.Second):
			t.Fatal("emulator did not stop within 10 s of its context ending")
			return -1
		}
	}
	return m[1], m[2], stderr, stop
}

// TestEmulatorCommandServesTheSDK starts the standalone emulator as a user would, talks to it
// through azcosmos with the key from the ready line, and stops it as SIGINT would.
func TestEmulatorCommandServesTheSDK(t *testing.T) {
	endpoint, key, stderr, stop := startEmulatorCommand(t, "--addr", "127.0.0.1:0")
	require.True(t, strings.HasPrefix(endpoint, "http://127.0.0.1:"), endpoint)

	cred, err := azcosmos.NewKeyCredential(key)
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(endpoint, cred, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "cli"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("cli")
	require.NoError(t, err)
	_, err = db.Read(ctx, nil)
	require.NoError(t, err)

	require.Equal(t, ExitOK, stop(), "stderr:\n%s", stderr.String())
}

// TestEmulatorCommandTLS checks --tls serves HTTPS with the self-signed certificate it prints,
// and that an unsigned request is refused with 401 as the service does.
func TestEmulatorCommandTLS(t *testing.T) {
	endpoint, _, stderr, stop := startEmulatorCommand(t, "--addr", "127.0.0.1:0", "--tls")
	require.True(t, strings.HasPrefix(endpoint, "https://127.0.0.1:"), endpoint)

	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(stderr.String())),
		"stderr holds no PEM certificate:\n%s", stderr.String())
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	resp, err := hc.Get(endpoint)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	require.Equal(t, ExitOK, stop(), "stderr:\n%s", stderr.String())
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestEmulatorCommandThrottle starts the standalone emulator with and without --throttle,
// single- and multi-region, and writes to a 400 RU/s container through azcosmos (retries
// off) faster than its budget: with --throttle the writes meet 429 with substatus 3200 and a
// retry-after; without it they never do.
func TestEmulatorCommandThrottle(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want429s bool
	}{
		{"plain", nil, false},
		{"throttle", []string{"--throttle", "--split-delay", "1s"}, true},
		{"throttle with burst", []string{"--throttle", "--burst"}, true},
		{"throttle two regions", []string{"--throttle", "--regions", "westus2,eastus2"}, true},
		{"plain two regions", []string{"--regions", "westus2,eastus2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			endpoint, key, stderr, stop := startEmulatorCommand(t,
				append([]string{"--addr", "127.0.0.1:0"}, tt.args...)...)
			defer func() { require.Equal(t, ExitOK, stop(), "stderr:\n%s", stderr.String()) }()
			throttled := writeUntilThrottled(t, endpoint, key, 400)
			require.Equal(t, tt.want429s, throttled)
		})
	}
}

// writeUntilThrottled creates a container of ru RU/s and writes 1 KB documents to one key
// for up to 1,500 requests or 2 s; it reports whether a write was refused with 429.
func writeUntilThrottled(t *testing.T, endpoint, key string, ru int32) bool {
	t.Helper()
	cred, err := azcosmos.NewKeyCredential(key)
	require.NoError(t, err)
	opts := &azcosmos.ClientOptions{}
	opts.Retry = policy.RetryOptions{MaxRetries: -1}
	client, err := azcosmos.NewClientWithKey(endpoint, cred, opts)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("db")
	require.NoError(t, err)
	manual := azcosmos.NewManualThroughputProperties(ru)
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}},
		&azcosmos.CreateContainerOptions{ThroughputProperties: &manual})
	require.NoError(t, err)
	c, err := client.NewContainer("db", "c")
	require.NoError(t, err)
	pad := strings.Repeat("x", 1000)
	deadline := time.Now().Add(2 * time.Second)
	for i := 0; i < 1500 && time.Now().Before(deadline); i++ {
		doc := fmt.Sprintf(`{"id":"d%d","pk":"p","pad":%q}`, i, pad)
		_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("p"), []byte(doc), nil)
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusTooManyRequests {
			require.Equal(t, "3200", re.RawResponse.Header.Get("x-ms-substatus"))
			require.NotEmpty(t, re.RawResponse.Header.Get("x-ms-retry-after-ms"))
			return true
		}
		require.NoError(t, err)
	}
	return false
}

// TestEmulatorCommandThrottleFlagErrors checks that throughput flags without --throttle, or
// with bad values, are bad input naming the flag, for single- and multi-region emulators.
func TestEmulatorCommandThrottleFlagErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr []string
	}{
		{"burst without throttle", []string{"--burst", "--split-delay", "1s"},
			[]string{"--burst needs --throttle", "--split-delay needs --throttle"}},
		{"regions without throttle", []string{"--regions", "a,b", "--max-throughput", "9000"},
			[]string{"--max-throughput needs --throttle"}},
		{"default under minimum", []string{"--throttle", "--default-throughput", "350"},
			[]string{"--throttle", "default throughput"}},
		{"bad partition size", []string{"--throttle", "--regions", "a,b",
			"--partition-max-bytes", "0", "--maintenance-interval", "-1s"},
			[]string{"--partition-max-bytes 0", "--maintenance-interval -1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := mainWithArgs(context.Background(), append([]string{"emulator", "--addr",
				"127.0.0.1:0"}, tt.args...), &stdout, &stderr)
			require.Equal(t, ExitBadInput, got, "stderr:\n%s", stderr.String())
			for _, want := range tt.wantStderr {
				require.Contains(t, stderr.String(), want)
			}
		})
	}
}
