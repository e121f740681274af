package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// authorize checks the Authorization header of every request: a master-key signature over
// verb, resource type, resource link and date, or an AAD token (accepted as Microsoft's
// emulator does: any well-formed, unexpired JWT; its signature is not verified).
func (s *Server) authorize(r *http.Request, rt route) error {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return unauthorized("the Authorization header is missing; sign requests with the " +
			"account key (type=master) or an AAD token (type=aad)")
	}
	auth, err := url.QueryUnescape(raw)
	if err != nil {
		return unauthorized("the Authorization header is not URL-encoded correctly: %v", err)
	}
	kind, ver, sig := authFields(auth)
	if ver != "1.0" {
		return unauthorized("the Authorization header has ver=%q; want 1.0", ver)
	}
	switch kind {
	case "master":
		return s.checkMasterSignature(r, rt, sig)
	case "aad":
		return checkAADToken(sig, time.Now())
	case "resource":
		return unauthorized("resource tokens are not supported; use the master key or AAD")
	}
	return unauthorized("the Authorization header has type=%q; want master or aad", kind)
}

// authFields splits "type=master&ver=1.0&sig=…" into its fields. The signature is base64 and
// may hold '=', so each part is split on its first '=' only.
func authFields(auth string) (kind, ver, sig string) {
	for part := range strings.SplitSeq(auth, "&") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "type":
			kind = v
		case "ver":
			ver = v
		case "sig":
			sig = v
		}
	}
	return kind, ver, sig
}

var macPool sync.Pool

func (s *Server) checkMasterSignature(r *http.Request, rt route, sig string) error {
	date := r.Header.Get(hdrDate)
	if date == "" {
		date = r.Header.Get("Date")
	}
	when, err := http.ParseTime(date)
	if err != nil {
		return unauthorized("the x-ms-date header %q is missing or not an HTTP date", date)
	}
	if skew := s.cfg.MaxClockSkew; skew > 0 {
		if d := time.Since(when); d > skew || d < -skew {
			return unauthorized("the request date %q is stale: it is %v from the server "+
				"clock, more than the allowed %v", date, d.Round(time.Second), skew)
		}
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) == 0 {
		return unauthorized("the signature in the Authorization header is not base64")
	}
	mac, _ := macPool.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, s.key)
	}
	mac.Reset()
	writeStringToSign(mac, r.Method, rt, date)
	want := mac.Sum(nil)
	macPool.Put(mac)
	if !hmac.Equal(got, want) {
		return unauthorized("the input authorization token can't serve the request: the "+
			"signature does not match; expected payload %q signed with the account key",
			stringToSign(r.Method, rt, date))
	}
	return nil
}

func writeStringToSign(h hash.Hash, method string, rt route, date string) {
	_, _ = h.Write([]byte(stringToSign(method, rt, date)))
}

func stringToSign(method string, rt route, date string) string {
	return strings.ToLower(method) + "\n" + strings.ToLower(rt.resType) + "\n" + rt.resLink +
		"\n" + strings.ToLower(date) + "\n\n"
}

// checkAADToken accepts a JWT whose header and payload decode, and whose exp (if any) is in
// the future.
func checkAADToken(token string, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return unauthorized("the AAD token is not a JWT (want header.payload.signature)")
	}
	var claims struct {
		Exp *float64 `json:"exp"`
	}
	for i, dst := range []any{&map[string]any{}, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[i], "="))
		if err != nil || json.Unmarshal(b, dst) != nil {
			return unauthorized("the AAD token's part %d is not base64url JSON", i+1)
		}
	}
	if claims.Exp != nil && now.Unix() > int64(*claims.Exp) {
		return unauthorized("the AAD token expired at %s",
			time.Unix(int64(*claims.Exp), 0).UTC().Format(time.RFC3339))
	}
	return nil
}
