package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/stampede-load/stampede/backend"
)

// adminClient calls an external backend's operator API (/v1/admin/, bearer token) and its
// counters (/v1/stats), as `stampede backend` serves them.
type adminClient struct {
	base     string // the backend's base URL, without a trailing slash
	token    string
	tokenEnv string // the variable the token came from, for error messages
	http     *http.Client
}

// maxAnswer bounds what is read of one answer.
const maxAnswer = 64 << 20

// adminCallTimeout bounds a call that answers at once or after a few Cosmos DB calls
// (onboarding creates a database and its containers): a backend that hangs fails the run
// instead of stalling it. Drains, conservation checks and restarts are bounded by their
// caller.
const adminCallTimeout = 2 * time.Minute

func newAdminClient(base, token, tokenEnv string) *adminClient {
	return &adminClient{base: strings.TrimRight(base, "/"), token: token, tokenEnv: tokenEnv,
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}}
}

// call sends in (nil: no body) and decodes the answer into out (nil: none). Any status
// but 200 and 204 is an error with the backend's message.
func (c *adminClient) call(ctx context.Context, method, path string, in, out any,
	auth bool) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusForbidden && auth:
		return fmt.Errorf("%s %s: %s: the backend refused the admin token of $%s (is its "+
			"--admin-token the same?)", method, path, resp.Status, c.tokenEnv)
	case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent:
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status,
			strings.TrimSpace(string(data)))
	case out == nil:
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func (c *adminClient) onboard(ctx context.Context, spec backend.TenantSpec) (backend.TenantInfo,
	error) {
	ctx, cancel := context.WithTimeout(ctx, adminCallTimeout)
	defer cancel()
	var info backend.TenantInfo
	err := c.call(ctx, http.MethodPost, "/v1/admin/tenants", spec, &info, true)
	return info, err
}

func (c *adminClient) upgrade(ctx context.Context, generation int) error {
	ctx, cancel := context.WithTimeout(ctx, adminCallTimeout)
	defer cancel()
	return c.call(ctx, http.MethodPost, "/v1/admin/upgrade",
		map[string]int{"generation": generation}, nil, true)
}

func (c *adminClient) drain(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/v1/admin/drain", nil, nil, true)
}

func (c *adminClient) conservation(ctx context.Context) (backend.ConservationReport, error) {
	var rep backend.ConservationReport
	err := c.call(ctx, http.MethodGet, "/v1/admin/conservation", nil, &rep, true)
	return rep, err
}

func (c *adminClient) stats(ctx context.Context) (backend.Stats, error) {
	var st backend.Stats
	err := c.call(ctx, http.MethodGet, "/v1/stats", nil, &st, false)
	return st, err
}

// restartNode restarts node (from 1; the API counts from 0) and answers once it runs again.
func (c *adminClient) restartNode(ctx context.Context, r NodeRestart) (backend.RestartReport,
	error) {
	req := map[string]string{"mode": r.Mode}
	if r.Downtime > 0 {
		req["downtime"] = r.Downtime.String()
	}
	if r.GracePeriod > 0 {
		req["gracePeriod"] = r.GracePeriod.String()
	}
	var ans backend.RestartAnswer
	err := c.call(ctx, http.MethodPost, fmt.Sprintf("/v1/admin/nodes/%d/restart", r.Node-1),
		req, &ans, true)
	if err != nil {
		err = fmt.Errorf("restart node %d (the admin API counts from 0): %w", r.Node, err)
	}
	return backend.RestartReport{Node: ans.Node, Mode: ans.Mode, Stored: ans.Stored,
		Dropped: ans.Dropped, Killed: ans.Killed, Stopping: seconds(ans.StoppingSeconds),
		Down: seconds(ans.DownSeconds)}, err
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (c *adminClient) close() { c.http.CloseIdleConnections() }
