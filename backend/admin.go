package backend

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"

	"github.com/stampede-load/stampede/backend/api"
)

// AdminHandler returns the operator API, for mounting under /v1/admin/ next to [Backend.Handler]:
//
//	POST   /v1/admin/tenants        TenantSpec as JSON -> TenantInfo (tokens)    200
//	DELETE /v1/admin/tenants/{id}                                                204
//	POST   /v1/admin/upgrade        {"generation": N}                            204
//	POST   /v1/admin/drain                                                      204
//	GET    /v1/admin/conservation   ConservationReport                           200
//
// Every call needs "Authorization: Bearer <token>". An empty token disables the API (403).
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
