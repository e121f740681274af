package emulator

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ControlPath is where the account endpoint serves the control API (docs/regions.md):
//
//	GET  /_stampede/regions                  every region's role, outage and backlog
//	POST /_stampede/regions/{name}/down      body {"mode":"refuse"|"503"|"timeout"}
//	POST /_stampede/regions/{name}/up
//	POST /_stampede/failover                 body {"region":"{name}"}
//	GET  /_stampede/report                   the drill report (events, lost writes, lag)
//
// Requests authenticate with the account key, either as "Authorization: Bearer <key>" or
// signed like a Cosmos DB request (type=master) with resource type "control" and the path
// after ControlPath as the resource link.
const ControlPath = "/_stampede/"

// maxControlBody bounds a control request body.
const maxControlBody = 64 << 10

// serveControl answers the control API.
func (a *Account) serveControl(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, ControlPath)
	if err := a.authorizeControl(r, rest); err != nil {
		controlError(w, http.StatusUnauthorized, err)
		return
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	var err error
	switch {
	case r.Method == http.MethodGet && rest == "regions":
		writeJSON(w, a.Regions())
	case r.Method == http.MethodGet && rest == "report":
		writeJSON(w, a.Report())
	case r.Method == http.MethodPost && len(segs) == 3 && segs[0] == "regions" && segs[2] == "down":
		err = a.controlDown(r, segs[1])
	case r.Method == http.MethodPost && len(segs) == 3 && segs[0] == "regions" && segs[2] == "up":
		err = a.RegionUp(r.Context(), segs[1])
	case r.Method == http.MethodPost && rest == "failover":
		err = a.controlFailover(r)
	default:
		controlError(w, http.StatusNotFound, fmt.Errorf("no control operation %s %s%s; see "+
			"docs/regions.md", r.Method, ControlPath, rest))
		return
	}
	if err != nil {
		controlError(w, controlStatus(err), err)
		return
	}
	if r.Method == http.MethodPost {
		writeJSON(w, a.Regions())
	}
}

func (a *Account) controlDown(r *http.Request, name string) error {
	var in struct {
		Mode string `json:"mode"`
	}
	if err := decodeControl(r, &in); err != nil {
		return err
	}
	if in.Mode == "" {
		in.Mode = string(OutageRefuse)
	}
	mode, err := ParseOutageMode(in.Mode)
	if err != nil {
		return badControl{err}
	}
	return a.RegionDown(r.Context(), name, mode)
}

func (a *Account) controlFailover(r *http.Request) error {
	var in struct {
		Region string `json:"region"`
	}
	if err := decodeControl(r, &in); err != nil {
		return err
	}
	if in.Region == "" {
		return badControl{errors.New("failover: body needs {\"region\": \"<name>\"}")}
	}
	return a.Failover(r.Context(), in.Region)
}

// badControl marks a control request the caller got wrong (400).
type badControl struct{ error }

func (b badControl) Unwrap() error { return b.error }

func decodeControl(r *http.Request, dst any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody))
	if err != nil {
		return badControl{fmt.Errorf("read body: %w", err)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return badControl{fmt.Errorf("body is not the JSON expected: %w", err)}
	}
	return nil
}

func controlStatus(err error) int {
	var bad badControl
	switch {
	case errors.As(err, &bad):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnknownRegion):
		return http.StatusNotFound
	case errors.Is(err, ErrRegionDown):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// authorizeControl accepts the account key as a bearer token, or a master-key signature.
func (a *Account) authorizeControl(r *http.Request, link string) error {
	auth := r.Header.Get("Authorization")
	if key, ok := strings.CutPrefix(auth, "Bearer "); ok {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(key)), []byte(a.cfg.Key)) == 1 {
			return nil
		}
		return errors.New("the bearer token is not the account key")
	}
	if auth == "" {
		return errors.New("the control API needs Authorization: Bearer <account key>")
	}
	rt := route{resType: "control", resLink: strings.Trim(link, "/")}
	return a.regions[0].srv.authorize(r, rt)
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		controlError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(body, '\n'))
}

func controlError(w http.ResponseWriter, status int, err error) {
	body, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{err.Error()})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// ControlClient drives an account's control API over HTTP, from another process.
type ControlClient struct {
	endpoint string
	key      string
	hc       *http.Client
}

// NewControlClient returns a client for the account endpoint (e.g. "http://127.0.0.1:8081/")
// authenticating with key; nil hc means a client with a 30 s timeout.
func NewControlClient(endpoint, key string, hc *http.Client) (*ControlClient, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("control endpoint %q: want http(s)://host:port/", endpoint)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &ControlClient{endpoint: u.Scheme + "://" + u.Host, key: key, hc: hc}, nil
}

// RegionDown takes a region down in mode.
func (c *ControlClient) RegionDown(ctx context.Context, region string, mode OutageMode) error {
	return c.do(ctx, http.MethodPost, "regions/"+url.PathEscape(region)+"/down",
		map[string]string{"mode": string(mode)}, nil)
}

// RegionUp brings a region back.
func (c *ControlClient) RegionUp(ctx context.Context, region string) error {
	return c.do(ctx, http.MethodPost, "regions/"+url.PathEscape(region)+"/up", nil, nil)
}

// Failover makes region the write region.
func (c *ControlClient) Failover(ctx context.Context, region string) error {
	return c.do(ctx, http.MethodPost, "failover", map[string]string{"region": region}, nil)
}

// Regions returns every region's status.
func (c *ControlClient) Regions(ctx context.Context) ([]RegionStatus, error) {
	var out []RegionStatus
	err := c.do(ctx, http.MethodGet, "regions", nil, &out)
	return out, err
}

// Report returns the drill report.
func (c *ControlClient) Report(ctx context.Context) (DrillReport, error) {
	var out DrillReport
	err := c.do(ctx, http.MethodGet, "report", nil, &out)
	return out, err
}

func (c *ControlClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+ControlPath+path, body)
	if err != nil {
		return fmt.Errorf("control %s: %w", path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("control %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("control %s: read answer: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return fmt.Errorf("control %s: %s: %s", path, resp.Status, e.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("control %s: decode answer: %w", path, err)
	}
	return nil
}
