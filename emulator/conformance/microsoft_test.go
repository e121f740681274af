package conformance_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/stampede-load/stampede/emulator/conformance"
)

const (
	// microsoftImage is Microsoft's Linux (vNext) emulator; it serves its gateway over
	// plain HTTP on PORT (8081 by default).
	microsoftImage = "mcr.microsoft.com/cosmosdb/linux/azure-cosmos-emulator:vnext-preview"
	// microsoftKey is the well-known account key every Microsoft emulator accepts.
	microsoftKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
	// dockerPingTimeout bounds the check for a Docker engine, so a machine without one
	// skips at once instead of hanging.
	dockerPingTimeout = 5 * time.Second
	// microsoftStartTimeout bounds pulling and starting the image.
	microsoftStartTimeout = 5 * time.Minute
)

// microsoftUnsupported lists the cases Microsoft's vNext emulator (a preview) does not
// support, from its published feature-support list and its issue tracker (patch requests
// fail with "missing patch operations array"); they are skipped, with the reason, only in
// the Microsoft mode. Trim the table when a newer image passes a case.
var microsoftUnsupported = conformance.Unsupported{
	"Auth/WrongKeyIs401": "the vNext emulator does not enforce authentication",
	"Item/TimeToLive":    "the vNext emulator does not implement time-to-live expiry",
	"Item/ResponseHeaders": "the vNext emulator does not report request units " +
		"(x-ms-request-charge)",
	"Patch/EveryOperation":     "the vNext emulator does not implement partial document update",
	"Patch/Condition":          "the vNext emulator does not implement partial document update",
	"Patch/Errors":             "the vNext emulator does not implement partial document update",
	"Patch/KeepsPropertyOrder": "the vNext emulator does not implement partial document update",
	"Query/CrossPartitionPaging": "the vNext emulator does not implement query paging " +
		"(continuation tokens) across partitions",
	"Query/PagingWhileWriting": "the vNext emulator does not implement query paging " +
		"(continuation tokens)",
	"Query/OrderByAndAggregates": "the vNext emulator does not implement aggregate queries " +
		"or ORDER BY on strings",
	"Query/UnsupportedIs400": "the vNext emulator answers a cross-partition query with " +
		"cross-partition queries disabled, and malformed queries, with other statuses",
	"Container/HierarchicalKeyAndPolicies": "the vNext emulator does not implement custom " +
		"indexing policies or time-to-live on containers",
	"Container/Query": "the vNext emulator does not implement paging through the " +
		"container feed",
}

// TestMicrosoftEmulator runs the suite against Microsoft's Linux emulator, minus the
// cases in microsoftUnsupported. With STAMPEDE_COSMOS_ENDPOINT set it reuses an emulator
// already running there (key: STAMPEDE_COSMOS_KEY, default the well-known key);
// otherwise it starts the image through testcontainers, and skips where no Docker
// engine answers.
func TestMicrosoftEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance against Microsoft's emulator runs without -short")
	}
	target := microsoftTarget(t)
	conformance.RunExcept(t, func(*testing.T) conformance.Target { return target },
		microsoftUnsupported)
}

func microsoftTarget(t *testing.T) conformance.Target {
	t.Helper()
	if endpoint := os.Getenv("STAMPEDE_COSMOS_ENDPOINT"); endpoint != "" {
		key := os.Getenv("STAMPEDE_COSMOS_KEY")
		if key == "" {
			key = microsoftKey
		}
		return conformance.Target{Endpoint: endpoint, Key: key}
	}
	if err := dockerEngineAnswers(dockerPingTimeout); err != nil {
		t.Skipf("no Docker engine: skipping conformance against Microsoft's emulator (%v)", err)
	}
	return startMicrosoftEmulator(t)
}

// dockerEngineAnswers reports why no Docker engine can run containers, nil if one can.
// It gives up after timeout even where the provider's own host discovery blocks (an
// unroutable DOCKER_HOST), leaving that probe to end with the test binary.
func dockerEngineAnswers(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	answer := make(chan error, 1)
	go func() { answer <- pingDocker(ctx) }()
	select {
	case err := <-answer:
		return err
	case <-ctx.Done():
		return fmt.Errorf("docker ping: no answer within %s", timeout)
	}
}

// pingDocker asks testcontainers' Docker provider for the engine's health.
func pingDocker(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil { // the provider panics on some broken Docker setups
			err = fmt.Errorf("docker provider: %v", r)
		}
	}()
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("docker provider: %w", err)
	}
	defer func() { _ = provider.Close() }()
	if err := provider.Health(ctx); err != nil {
		return fmt.Errorf("docker ping: %w", err)
	}
	return nil
}

// startMicrosoftEmulator starts the image for the whole run of the mode and returns its
// gateway; the container is removed when the test ends. The gateway listens on the same
// port inside and outside the container (on loopback): the emulator advertises its
// regional endpoint with the port it listens on, and the SDK routes reads there, so a
// port remapped by Docker would send them to a port nothing serves.
func startMicrosoftEmulator(t *testing.T) conformance.Target {
	t.Helper()
	image := os.Getenv("STAMPEDE_MICROSOFT_EMULATOR_IMAGE")
	if image == "" {
		image = microsoftImage
	}
	port := freeLoopbackPort(t)
	gateway := strconv.Itoa(port) + "/tcp"
	ctx, cancel := context.WithTimeout(context.Background(), microsoftStartTimeout)
	defer cancel()
	ready := wait.ForHTTP("/").WithPort(gateway).
		WithStatusCodeMatcher(func(status int) bool { return status > 0 && status < 500 }).
		WithStartupTimeout(microsoftStartTimeout)
	ctr, err := testcontainers.Run(ctx, image,
		testcontainers.WithExposedPorts(gateway),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{network.MustParsePort(gateway): {{
				HostIP: netip.AddrFrom4([4]byte{127, 0, 0, 1}), HostPort: strconv.Itoa(port),
			}}}
		}),
		testcontainers.WithEnv(map[string]string{
			"PROTOCOL": "http", "PORT": strconv.Itoa(port), "ENABLE_EXPLORER": "false",
		}),
		testcontainers.WithWaitStrategy(ready),
	)
	testcontainers.CleanupContainer(t, ctr)
	require.NoError(t, err, "start %s", image)
	return conformance.Target{Endpoint: fmt.Sprintf("http://127.0.0.1:%d/", port), Key: microsoftKey}
}

// freeLoopbackPort returns a TCP port free on 127.0.0.1 a moment ago.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}
