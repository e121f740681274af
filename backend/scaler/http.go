package scaler

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

const maxRequestBody = 64 << 10

// Handler returns the scaler's HTTP API (see the package documentation).
func (s *Scaler) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/scale-up", func(w http.ResponseWriter, r *http.Request) {
		var req ScaleRequest
		if !decode(w, r, &req) {
			return
		}
		if req.Database == "" || req.Container == "" {
			http.Error(w, "database and container are required", http.StatusBadRequest)
			return
		}
		s.Request(req)
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /v1/usage", func(w http.ResponseWriter, r *http.Request) {
		var rep []UsageReport
		if !decode(w, r, &rep) {
			return
		}
		for _, u := range rep {
			s.Report(u)
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("PUT /v1/tenants/{database}", func(w http.ResponseWriter, r *http.Request) {
		var sch Schedule
		if !decode(w, r, &sch) {
			return
		}
		if sch.WorkStart < 0 || sch.WorkEnd > 24 || sch.WorkStart > sch.WorkEnd {
			http.Error(w, fmt.Sprintf("working hours %d..%d: want 0 <= start <= end <= 24",
				sch.WorkStart, sch.WorkEnd), http.StatusBadRequest)
			return
		}
		s.SetSchedule(r.PathValue("database"), sch)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/decisions", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Decisions())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody)).Decode(v); err != nil {
		http.Error(w, "invalid JSON body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
