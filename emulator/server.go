package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Server is one emulated Cosmos DB account. It is safe for concurrent use.
type Server struct {
	cfg       Config
	key       []byte
	log       *slog.Logger
	store     *store
	snapshots *snapshotCache
	cert      *selfSigned
	// consistency is the account's default level, for the RU model (reads under Strong and
	// Bounded Staleness cost double). Zero means Session; an Account sets its own.
	consistency Consistency
	tp          *throughputState // offers, throughput engine, splits (offers_throughput.go)

	ln       net.Listener
	httpSrv  *http.Server
	endpoint string

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New builds a Server that does not listen; serve it through Handler (for example with
// httptest). Start is New plus a listener.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}
	cfg = cfg.withDefaults()
	key, _ := base64.StdEncoding.DecodeString(cfg.Key)
	s := &Server{
		cfg:   cfg,
		key:   key,
		log:   cfg.Logger,
		store: newStore(),
		stop:  make(chan struct{}),
	}
	s.snapshots = newSnapshotCache(cfg.QuerySnapshots, cfg.QuerySnapshotTTL)
	if err := s.startThroughput(); err != nil {
		return nil, fmt.Errorf("emulator config: %w", err)
	}
	s.wg.Add(1)
	go s.sweepExpired()
	return s, nil
}

// Start builds a Server, listens on cfg.Addr and serves until Close or Shutdown. ctx bounds
// only the start-up (listening); it does not stop the server once Start returns.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.listen(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) listen(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	scheme := "http"
	if s.cfg.TLS {
		host, _, _ := net.SplitHostPort(s.cfg.Addr)
		if s.cert, err = newSelfSigned(host, time.Now()); err != nil {
			_ = ln.Close()
			return fmt.Errorf("tls certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{s.cert.cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"h2", "http/1.1"},
		})
		scheme = "https"
	}
	s.ln = ln
	s.endpoint = scheme + "://" + advertisedAddr(ln.Addr()) + "/"
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.cfg.TLS {
		s.httpSrv.TLSNextProto = nil
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("emulator stopped serving", "err", err)
		}
	}()
	s.log.Info("emulator listening", "endpoint", s.endpoint, "tls", s.cfg.TLS)
	return nil
}

// advertisedAddr turns a listen address into one a client can dial: an unspecified host
// (0.0.0.0 or ::) becomes loopback.
func advertisedAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// Endpoint is the account endpoint, e.g. "http://127.0.0.1:8081/" (https with TLS). It is
// empty for a Server built with New.
func (s *Server) Endpoint() string { return s.endpoint }

// Key is the base64 master key clients sign with.
func (s *Server) Key() string { return s.cfg.Key }

// ConnectionString is the "AccountEndpoint=…;AccountKey=…" string for
// azcosmos.NewClientFromConnectionString.
func (s *Server) ConnectionString() string {
	return "AccountEndpoint=" + s.endpoint + ";AccountKey=" + s.cfg.Key + ";"
}

// Handler serves the Cosmos DB REST protocol; it is the Server itself.
func (s *Server) Handler() http.Handler { return s }

// CertPool holds the self-signed certificate for a client to trust (set it as RootCAs of the
// client transport). It is nil without TLS.
func (s *Server) CertPool() *x509.CertPool {
	return s.cert.certPool()
}

// CertPEM is the self-signed certificate in PEM, for SSL_CERT_FILE or a trust store. It is
// nil without TLS.
func (s *Server) CertPEM() []byte {
	return s.cert.certPEM()
}

// Shutdown stops accepting connections and waits for in-flight requests until ctx ends,
// then stops background work. It is safe to call more than once, and together with Close.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		if s.httpSrv != nil {
			s.closeErr = s.httpSrv.Shutdown(ctx)
			if s.closeErr != nil {
				_ = s.httpSrv.Close()
			}
		}
		close(s.stop)
		s.wg.Wait()
		s.log.Info("emulator stopped")
	})
	return s.closeErr
}

// Close stops the server at once, dropping open connections. It is idempotent.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (s *Server) now() time.Time { return s.cfg.Clock() }
