package msemulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

const (
	// Image is Microsoft's Linux (vNext) emulator; it serves its gateway over plain HTTP.
	Image = "mcr.microsoft.com/cosmosdb/linux/azure-cosmos-emulator:vnext-preview"
	// Key is the well-known account key every Microsoft emulator accepts (published in
	// Microsoft's emulator documentation; it protects nothing).
	Key = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
	// DefaultPingTimeout bounds the check for a Docker engine.
	DefaultPingTimeout = 5 * time.Second
	// DefaultStartTimeout bounds pulling and starting the image.
	DefaultStartTimeout = 5 * time.Minute
)

// ErrNoDocker is wrapped by Start's error when no Docker engine can run the container.
var ErrNoDocker = errors.New("no Docker engine")

// Options configures Start; the zero value is the defaults.
type Options struct {
	// Image overrides Image (a pinned tag or a mirror).
	Image string
	// PingTimeout bounds the Docker check; 0 means DefaultPingTimeout.
	PingTimeout time.Duration
	// StartTimeout bounds pulling and starting; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Image == "" {
		o.Image = Image
	}
	if o.PingTimeout == 0 {
		o.PingTimeout = DefaultPingTimeout
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	return o
}

// Emulator is a running container.
type Emulator struct {
	// Endpoint is the gateway URL, http://127.0.0.1:PORT/.
	Endpoint string
	// Key is the account key (Key).
	Key string
	ctr testcontainers.Container
}

// Stop removes the container.
func (e *Emulator) Stop(ctx context.Context) error {
	if e == nil || e.ctr == nil {
		return nil
	}
	return testcontainers.TerminateContainer(e.ctr, testcontainers.StopContext(ctx))
}

// Start pulls (if needed) and starts the image and waits until its gateway answers.
func Start(ctx context.Context, opts Options) (*Emulator, error) {
	opts = opts.withDefaults()
	if err := DockerAnswers(ctx, opts.PingTimeout); err != nil {
		return nil, fmt.Errorf("start Microsoft's emulator: %w: %w", ErrNoDocker, err)
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, fmt.Errorf("start Microsoft's emulator: %w", err)
	}
	gateway := strconv.Itoa(port) + "/tcp"
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	ready := wait.ForHTTP("/").WithPort(gateway).
		WithStatusCodeMatcher(func(status int) bool { return status > 0 && status < 500 }).
		WithStartupTimeout(opts.StartTimeout)
	ctr, err := testcontainers.Run(ctx, opts.Image,
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
	if err != nil {
		if ctr != nil {
			_ = testcontainers.TerminateContainer(ctr)
		}
		return nil, fmt.Errorf("start %s: %w", opts.Image, err)
	}
	return &Emulator{Endpoint: fmt.Sprintf("http://127.0.0.1:%d/", port), Key: Key, ctr: ctr}, nil
}

// DockerAnswers reports why no Docker engine can run containers, nil if one can. It gives up
// after timeout even where the provider's own host discovery blocks (an unroutable
// DOCKER_HOST).
func DockerAnswers(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
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

// freeLoopbackPort returns a TCP port free on 127.0.0.1 a moment ago.
func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
