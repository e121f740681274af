package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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
