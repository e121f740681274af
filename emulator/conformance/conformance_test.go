package conformance_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/emulator/conformance"
)

// startEmulator starts one in-process emulator for the whole run of a mode.
func startEmulator(t *testing.T, useTLS bool) conformance.Target {
	t.Helper()
	srv, err := emulator.Start(context.Background(), emulator.Config{TLS: useTLS})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	target := conformance.Target{Endpoint: srv.Endpoint(), Key: srv.Key()}
	if useTLS {
		target.Transport = &http.Client{Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: srv.CertPool(), MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2: true,
		}}
	}
	return target
}

func TestEmulatorHTTP(t *testing.T) {
	target := startEmulator(t, false)
	conformance.Run(t, func(*testing.T) conformance.Target { return target })
}

func TestEmulatorHTTPS(t *testing.T) {
	if testing.Short() {
		t.Skip("the HTTP mode covers the same cases; HTTPS runs without -short")
	}
	target := startEmulator(t, true)
	conformance.Run(t, func(*testing.T) conformance.Target { return target })
}

// TestExternalEndpoint runs the suite against another endpoint, such as Microsoft's
// emulator, when STAMPEDE_COSMOS_ENDPOINT and STAMPEDE_COSMOS_KEY are set.
func TestExternalEndpoint(t *testing.T) {
	endpoint, key := os.Getenv("STAMPEDE_COSMOS_ENDPOINT"), os.Getenv("STAMPEDE_COSMOS_KEY")
	if endpoint == "" || key == "" {
		t.Skip("set STAMPEDE_COSMOS_ENDPOINT and STAMPEDE_COSMOS_KEY to run against another endpoint")
	}
	conformance.Run(t, func(*testing.T) conformance.Target {
		return conformance.Target{Endpoint: endpoint, Key: key}
	})
}

// startAccount starts a multi-region account (issue #4) for the whole run of a mode.
func startAccount(t *testing.T, rc emulator.RegionsConfig) conformance.Target {
	t.Helper()
	acct, err := emulator.StartAccount(context.Background(), emulator.Config{}, rc)
	require.NoError(t, err)
	t.Cleanup(func() { _ = acct.Close() })
	return conformance.Target{Endpoint: acct.Endpoint(), Key: acct.Key()}
}

func TestAccountTwoRegions(t *testing.T) {
	target := startAccount(t, emulator.RegionsConfig{Regions: []string{"East US", "West US"}})
	conformance.Run(t, func(*testing.T) conformance.Target { return target })
}

func TestAccountDurable(t *testing.T) {
	if testing.Short() {
		t.Skip("the in-memory modes cover the same cases; the durable mode runs without -short")
	}
	target := startAccount(t, emulator.RegionsConfig{
		Regions: []string{"East US"}, DataDir: t.TempDir(),
	})
	conformance.Run(t, func(*testing.T) conformance.Target { return target })
}
