package emulator

import "net/http"

// NOTE: owned by throughput (issue #3); this placeholder answers 404 until that engine
// replaces this file with the offers resource (/offers query, read and replace).

// serveOffers answers the offers resource.
func (s *Server) serveOffers(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(hdrRequestCharge, "1.00")
	writeError(w, notFound("offers are not supported yet"))
}
