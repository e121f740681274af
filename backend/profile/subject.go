package profile

import (
	"strings"

	"github.com/stampede-load/stampede/backend/api"
)

// Subject returns the entity an event is attributed to: for directory sync reports the entity
// reported (Target), otherwise the account that acted (Source), or else the computer the activity
// came from. ok is false when the event names none of them.
func Subject(e *api.Event) (ref api.EntityRef, ok bool) {
	switch {
	case e.Kind.IsDirectorySync() && !e.Target.IsZero():
		return e.Target, true
	case !e.Source.IsZero():
		return e.Source, true
	case e.SourceHost != "":
		return api.EntityRef{Type: api.EntityComputer, Name: e.SourceHost}, true
	case !e.Target.IsZero():
		return e.Target, true
	}
	return api.EntityRef{}, false
}

// PeerOf returns the name of the other party of an event, for the peers statistic: the target
// (or its host) of the subject's activity, or the acting account of a directory report.
func PeerOf(e *api.Event) string {
	if e.Kind.IsDirectorySync() {
		return e.Source.Name
	}
	if e.TargetHost != "" {
		return e.TargetHost
	}
	return e.Target.Name
}

// unsafeIDChars are characters Cosmos DB does not allow in document ids, plus the escape.
const unsafeIDChars = `/\?#%`

// DocumentID returns the Cosmos DB document id of an entity: "<type>:<name>", with the
// characters ids may not contain ('/', '\', '?', '#') and '%' percent-encoded.
func DocumentID(ref api.EntityRef) string {
	t := ref.Type.String()
	if !strings.ContainsAny(ref.Name, unsafeIDChars) {
		return t + ":" + ref.Name
	}
	var b strings.Builder
	b.Grow(len(t) + 1 + len(ref.Name) + 8)
	b.WriteString(t)
	b.WriteByte(':')
	for i := 0; i < len(ref.Name); i++ {
		c := ref.Name[i]
		if strings.IndexByte(unsafeIDChars, c) >= 0 {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Protocol returns the protocol family of an event kind, as stored in Protocols.
func Protocol(k api.Kind) string {
	switch k {
	case api.KindKerberosAS, api.KindKerberosTGS, api.KindTicketRequest:
		return "kerberos"
	case api.KindNTLM, api.KindCredentialValidation:
		return "ntlm"
	case api.KindLDAPQuery:
		return "ldap"
	case api.KindDNSLookup:
		return "dns"
	case api.KindLogonSuccess, api.KindLogonFailure:
		return "windows_logon"
	case api.KindDirectoryCreate, api.KindDirectoryChange, api.KindDirectoryDisable:
		return "directory_sync"
	}
	return "other"
}
