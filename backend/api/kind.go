package api

import (
	"fmt"
	"strings"
)

// Kind is what an event reports. The zero value KindUnknown is never valid on the wire.
type Kind uint8

// Event kinds. The wire names are the strings returned by Kind.String.
const (
	KindUnknown Kind = iota
	// KindKerberosAS is a Kerberos authentication service exchange (a TGT request).
	KindKerberosAS
	// KindKerberosTGS is a Kerberos ticket-granting service exchange (a service ticket for an SPN).
	KindKerberosTGS
	// KindNTLM is an NTLM authentication seen on the wire.
	KindNTLM
	// KindLDAPQuery is a directory query (LDAP search) against the domain controller.
	KindLDAPQuery
	// KindDNSLookup is a name lookup answered by the domain controller.
	KindDNSLookup
	// KindLogonSuccess is Windows security event 4624 (an account logged on).
	KindLogonSuccess
	// KindLogonFailure is Windows security event 4625 (an account failed to log on).
	KindLogonFailure
	// KindTicketRequest is Windows security event 4768 or 4769 (a Kerberos ticket was requested).
	KindTicketRequest
	// KindCredentialValidation is Windows security event 4776 (NTLM credential validation).
	KindCredentialValidation
	// KindDirectoryCreate is a directory sync report that an entity was created.
	KindDirectoryCreate
	// KindDirectoryChange is a directory sync report that an entity's attribute changed.
	KindDirectoryChange
	// KindDirectoryDisable is a directory sync report that an entity was disabled.
	KindDirectoryDisable

	kindCount
)

var kindNames = [kindCount]string{
	KindUnknown:              "unknown",
	KindKerberosAS:           "kerberos_as",
	KindKerberosTGS:          "kerberos_tgs",
	KindNTLM:                 "ntlm",
	KindLDAPQuery:            "ldap_query",
	KindDNSLookup:            "dns_lookup",
	KindLogonSuccess:         "logon_success",
	KindLogonFailure:         "logon_failure",
	KindTicketRequest:        "ticket_request",
	KindCredentialValidation: "credential_validation",
	KindDirectoryCreate:      "directory_create",
	KindDirectoryChange:      "directory_change",
	KindDirectoryDisable:     "directory_disable",
}

// Kinds lists every valid event kind in wire order (KindUnknown excluded).
func Kinds() []Kind {
	out := make([]Kind, 0, kindCount-1)
	for k := KindUnknown + 1; k < kindCount; k++ {
		out = append(out, k)
	}
	return out
}

// String returns the wire name of k, or "kind(N)" for values outside the enum.
func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds other than KindUnknown.
func (k Kind) Valid() bool { return k > KindUnknown && k < kindCount }

// IsDirectorySync reports whether k is a directory sync report (create, change, disable).
func (k Kind) IsDirectorySync() bool {
	return k == KindDirectoryCreate || k == KindDirectoryChange || k == KindDirectoryDisable
}

// ParseKind returns the kind with wire name s; ok is false for unknown names.
func ParseKind(s string) (Kind, bool) { return lookup(kindNames[:], s, Kind(0)) }

// EntityType says what an EntityRef names. The zero value EntityNone means "no entity".
type EntityType uint8

// Entity types. The wire names are the strings returned by EntityType.String.
const (
	EntityNone EntityType = iota
	// EntityUser is a user account: a person, an administrator or a service account.
	EntityUser
	// EntityComputer is a computer account: a workstation, a server or a domain controller.
	EntityComputer
	// EntityService is a service principal name (SPN) such as "MSSQLSvc/sql01.corp:1433".
	EntityService
	// EntityGroup is a security group.
	EntityGroup

	entityTypeCount
)

var entityTypeNames = [entityTypeCount]string{
	EntityNone:     "none",
	EntityUser:     "user",
	EntityComputer: "computer",
	EntityService:  "service",
	EntityGroup:    "group",
}

// String returns the wire name of t.
func (t EntityType) String() string {
	if t < entityTypeCount {
		return entityTypeNames[t]
	}
	return fmt.Sprintf("entity_type(%d)", uint8(t))
}

// Valid reports whether t is a defined type other than EntityNone.
func (t EntityType) Valid() bool { return t > EntityNone && t < entityTypeCount }

// MarshalText encodes t as its wire name, so that EntityRef marshals with encoding/json
// as it appears in batches.
func (t EntityType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText decodes a wire name ("" means EntityNone).
func (t *EntityType) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = EntityNone
		return nil
	}
	v, ok := ParseEntityType(string(b))
	if !ok {
		return fmt.Errorf("entity type %q: want one of %s", b, allowed(entityTypeNames[:]))
	}
	*t = v
	return nil
}

// ParseEntityType returns the entity type with wire name s; ok is false for unknown names.
func ParseEntityType(s string) (EntityType, bool) {
	return lookup(entityTypeNames[:], s, EntityType(0))
}

// Result is the outcome an event reports. The zero value ResultSuccess is the common case.
type Result uint8

// Results. The wire names are the strings returned by Result.String.
const (
	// ResultSuccess: the operation succeeded.
	ResultSuccess Result = iota
	// ResultBadPassword: wrong password or pre-authentication failure.
	ResultBadPassword
	// ResultUnknownAccount: the account does not exist.
	ResultUnknownAccount
	// ResultLockedOut: the account is locked out.
	ResultLockedOut
	// ResultDisabled: the account is disabled.
	ResultDisabled
	// ResultExpired: the password or account has expired.
	ResultExpired
	// ResultDenied: access or the requested ticket was refused.
	ResultDenied
	// ResultNotFound: the name (DNS) or object (LDAP) does not exist.
	ResultNotFound
	// ResultError: any other failure.
	ResultError

	resultCount
)

var resultNames = [resultCount]string{
	ResultSuccess:        "success",
	ResultBadPassword:    "bad_password",
	ResultUnknownAccount: "unknown_account",
	ResultLockedOut:      "locked_out",
	ResultDisabled:       "disabled",
	ResultExpired:        "expired",
	ResultDenied:         "denied",
	ResultNotFound:       "not_found",
	ResultError:          "error",
}

// String returns the wire name of r.
func (r Result) String() string {
	if r < resultCount {
		return resultNames[r]
	}
	return fmt.Sprintf("result(%d)", uint8(r))
}

// Valid reports whether r is a defined result.
func (r Result) Valid() bool { return r < resultCount }

// ParseResult returns the result with wire name s; ok is false for unknown names.
func ParseResult(s string) (Result, bool) { return lookup(resultNames[:], s, Result(0)) }

// Encryption is the Kerberos encryption type of a ticket. The zero value EncNone means
// "not applicable or not reported".
type Encryption uint8

// Encryption types. The wire names are the strings returned by Encryption.String.
const (
	EncNone Encryption = iota
	EncAES256
	EncAES128
	// EncRC4 is RC4-HMAC, the type Kerberoasting tools request because it cracks fastest.
	EncRC4
	EncDES

	encCount
)

var encNames = [encCount]string{
	EncNone:   "",
	EncAES256: "aes256",
	EncAES128: "aes128",
	EncRC4:    "rc4",
	EncDES:    "des",
}

// String returns the wire name of e ("" for EncNone).
func (e Encryption) String() string {
	if e < encCount {
		return encNames[e]
	}
	return fmt.Sprintf("enc(%d)", uint8(e))
}

// Valid reports whether e is a defined encryption type (EncNone included).
func (e Encryption) Valid() bool { return e < encCount }

// ParseEncryption returns the encryption type with wire name s; ok is false for unknown names.
func ParseEncryption(s string) (Encryption, bool) {
	if s == "" {
		return EncNone, false
	}
	return lookup(encNames[:], s, Encryption(0))
}

// lookup finds s in names and returns its index as T.
func lookup[T ~uint8](names []string, s string, _ T) (T, bool) {
	for i, n := range names {
		if n == s {
			return T(i), true
		}
	}
	return 0, false
}

// allowed lists names joined for error messages, skipping empty and "unknown"/"none".
func allowed(names []string) string {
	var b strings.Builder
	for _, n := range names {
		if n == "" || n == "unknown" || n == "none" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
	return b.String()
}
