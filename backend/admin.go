package backend

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

// AdminHandler returns the operator API, for mounting under /v1/admin/ next to [Backend.Handler]:
//
//	POST   /v1/admin/tenants        TenantSpec as JSON -> TenantInfo (tokens)    200
//	DELETE /v1/admin/tenants/{id}                                                204
//	POST   /v1/admin/upgrade        {"generation": N}                            204
//	POST   /v1/admin/drain                                                      204
//	GET    /v1/admin/conservation   ConservationReport                           200
//	POST   /v1/admin/nodes/{i}/restart  {"mode","downtime","gracePeriod"} -> report 200
//
// Every call needs "Authorization: Bearer <token>". An empty token disables the API (403).
// A node restart ([Backend.RestartNode]; {i} is the node's index from 0 or its name)
// takes its options from the query or a JSON body, durations as "5s", and answers once
// the node runs again with what it stored and dropped; 400 names a bad field, 409 says a
// restart of the node is already running, 503 that the backend is not running.
func (b *Backend) AdminHandler(token string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/admin/tenants", func(w http.ResponseWriter, r *http.Request) {
		var spec TenantSpec
		if !decodeJSON(w, r, &spec) {
			return
		}
		if err := spec.Validate(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		info, err := b.Onboard(r.Context(), spec)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		writeJSON(w, info)
	})
	mux.HandleFunc("DELETE /v1/admin/tenants/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := b.Offboard(r.Context(), r.PathValue("id")); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/admin/upgrade", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Generation int `json:"generation"`
		}
		if !decodeJSON(w, r, &req) {
			return
		}
		if err := b.Upgrade(r.Context(), req.Generation); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/admin/drain", func(w http.ResponseWriter, r *http.Request) {
		if err := b.Drain(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/admin/conservation", func(w http.ResponseWriter, r *http.Request) {
		rep, err := b.VerifyConservation(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		writeJSON(w, rep)
	})
	mux.HandleFunc("POST /v1/admin/nodes/{i}/restart", b.restartHandler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := api.TokenFromHeader(r.Header.Get(api.HeaderAuthorization))
		if token == "" || !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			http.Error(w, "admin API: missing or wrong token", http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(v); err != nil {
		http.Error(w, "invalid JSON body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// restartRequest is the body of POST /v1/admin/nodes/{i}/restart; durations are Go
// durations such as "5s".
type restartRequest struct {
	Mode        string `json:"mode,omitempty"`
	Downtime    string `json:"downtime,omitempty"`
	GracePeriod string `json:"gracePeriod,omitempty"`
}

// RestartAnswer is a RestartReport as POST /v1/admin/nodes/{i}/restart answers it, for
// clients of the admin API.
type RestartAnswer struct {
	Node            string  `json:"node"`
	Mode            string  `json:"mode"`
	Stored          int64   `json:"stored"`
	Dropped         int64   `json:"dropped"`
	Killed          bool    `json:"killed"`
	StoppingSeconds float64 `json:"stoppingSeconds"`
	DownSeconds     float64 `json:"downSeconds"`
}

// restartHandler serves POST /v1/admin/nodes/{i}/restart: {i} is the node's index from 0
// or its name; mode (graceful|crash), downtime and gracePeriod come from the query or a
// JSON body (the body wins). It answers the restart as JSON once the node runs again;
// 400 names the field of bad input, 409 says a restart of the node is already running, 503
// that the backend is not running. The restart goes on if the caller hangs up: stopping
// it half-way would leave the node in neither state.
func (b *Backend) restartHandler(w http.ResponseWriter, r *http.Request) {
	i, err := b.nodeIndex(r.PathValue("i"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := readRestartRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	opts, err := req.options()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rep, err := b.restartNode(context.WithoutCancel(r.Context()), i, opts, false)
	switch {
	case errors.Is(err, ErrRestartRunning):
		http.Error(w, err.Error(), http.StatusConflict)
	case errors.Is(err, ErrNotRunning):
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
	case err != nil && rep.Node == "":
		http.Error(w, err.Error(), http.StatusBadRequest)
	case err != nil: // it restarted, but not as asked (a new client failed, or Close)
		http.Error(w, err.Error(), http.StatusBadGateway)
	default:
		writeJSON(w, RestartAnswer{Node: rep.Node, Mode: rep.Mode, Stored: rep.Stored,
			Dropped: rep.Dropped, Killed: rep.Killed, StoppingSeconds: rep.Stopping.Seconds(),
			DownSeconds: rep.Down.Seconds()})
	}
}

// nodeIndex resolves a node given by index (from 0) or by name.
func (b *Backend) nodeIndex(s string) (int, error) {
	names := make([]string, len(b.nodes))
	for i, n := range b.nodes {
		names[i] = n.name
	}
	if i, err := strconv.Atoi(s); err == nil {
		if i < 0 || i >= len(b.nodes) {
			return 0, fmt.Errorf("node %d: want an index from 0 to %d, or a name of %v", i,
				len(b.nodes)-1, names)
		}
		return i, nil
	}
	if i := slices.Index(names, s); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("node %q: want an index from 0 to %d, or a name of %v", s,
		len(b.nodes)-1, names)
}

// readRestartRequest reads the options from the query, then from a JSON body if any.
func readRestartRequest(r *http.Request) (restartRequest, error) {
	q := r.URL.Query()
	req := restartRequest{Mode: q.Get("mode"), Downtime: q.Get("downtime"),
		GracePeriod: q.Get("gracePeriod")}
	if err := unknownParams(q, "mode", "downtime", "gracePeriod"); err != nil {
		return req, err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		return req, fmt.Errorf("read body: %w", err)
	}
	if strings.TrimSpace(string(body)) == "" {
		return req, nil
	}
	var fromBody restartRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fromBody); err != nil {
		return req, fmt.Errorf("invalid JSON body (want mode, downtime, gracePeriod): %w", err)
	}
	req.Mode = cmp.Or(fromBody.Mode, req.Mode)
	req.Downtime = cmp.Or(fromBody.Downtime, req.Downtime)
	req.GracePeriod = cmp.Or(fromBody.GracePeriod, req.GracePeriod)
	return req, nil
}

// unknownParams names query parameters not in allowed.
func unknownParams(q url.Values, allowed ...string) error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(allowed, k) {
			errs = append(errs, fmt.Errorf("query parameter %q: unknown; want %s", k,
				strings.Join(allowed, ", ")))
		}
	}
	return errors.Join(errs...)
}

// options checks every field and returns the restart options.
func (req restartRequest) options() (RestartOptions, error) {
	var errs []error
	opts := RestartOptions{Mode: req.Mode}
	if req.Mode != "" && !slices.Contains(RestartModes, req.Mode) {
		errs = append(errs, fmt.Errorf("mode %q: want one of %s", req.Mode,
			strings.Join(RestartModes, ", ")))
	}
	var err error
	if opts.Downtime, err = parseAdminDuration("downtime", req.Downtime, true); err != nil {
		errs = append(errs, err)
	}
	if opts.GracePeriod, err = parseAdminDuration("gracePeriod", req.GracePeriod,
		false); err != nil {
		errs = append(errs, err)
	}
	if req.GracePeriod != "" && req.Mode == RestartCrash {
		errs = append(errs, fmt.Errorf("gracePeriod: applies to mode %s only; a %s stops at "+
			"once", RestartGraceful, RestartCrash))
	}
	return opts, errors.Join(errs...)
}

// parseAdminDuration parses field's Go duration; empty is 0. It must be positive, or
// also 0 when zeroOK.
func parseAdminDuration(field, s string, zeroOK bool) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s %q: want a duration such as 5s or 1m30s", field, s)
	case d < 0 || (d == 0 && !zeroOK):
		return 0, fmt.Errorf("%s %q: want a positive duration", field, s)
	}
	return d, nil
}
