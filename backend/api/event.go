package api

import (
	"strconv"
	"time"
)

// Limits of the protocol. The backend rejects batches beyond them (400 or 413).
const (
	// MaxEventsPerBatch is the most events one batch may carry.
	MaxEventsPerBatch = 10_000
	// MaxBodyBytes is the largest request body in bytes, after decompression.
	MaxBodyBytes = 16 << 20
	// MaxNameLen is the longest tenant id, sensor id, entity name, query or attribute in bytes.
	MaxNameLen = 512
)

// EntityRef names one directory entity. The zero value (EntityNone, "") means "absent".
type EntityRef struct {
	// Type says what Name names.
	Type EntityType `json:"type"`
	// Name is unique per tenant and type: the sAMAccountName of a user or group, the host
	// name of a computer, the full SPN of a service.
	Name string `json:"name"`
}

// IsZero reports whether r names no entity.
func (r EntityRef) IsZero() bool { return r.Type == EntityNone && r.Name == "" }

// Event is one observation a sensor reports. Tenant and sensor come from the Batch that
// carries it. Fields a kind does not use stay zero and are omitted on the wire; doc.go lists
// which fields each kind sets.
type Event struct {
	// Kind is what happened. Required.
	Kind Kind
	// Time is when it happened, on the scenario clock, in UTC with millisecond precision on
	// the wire. Required.
	Time time.Time
	// Source is who acted: the account that authenticated, queried or looked up (a user or a
	// computer account). For directory sync kinds it is the account that made the change, if
	// known.
	Source EntityRef
	// SourceHost is the computer the activity came from, if known.
	SourceHost string
	// Target is what was acted on: the computer logged on to, the service a ticket was
	// requested for, the domain controller queried, or the entity a directory sync reports.
	Target EntityRef
	// TargetHost is the computer that hosts Target when Target is a service.
	TargetHost string
	// Result is the outcome.
	Result Result
	// LogonType is the Windows logon type of logon kinds (2 interactive, 3 network,
	// 10 remote interactive, ...); 0 when not applicable.
	LogonType uint8
	// Admin is set when a logon carried administrative privileges (Windows event 4672
	// accompanied it) or, for directory sync kinds, when the entity is privileged.
	Admin bool
	// Encryption is the Kerberos ticket encryption type of Kerberos kinds.
	Encryption Encryption
	// Query is the LDAP search filter of KindLDAPQuery or the queried name of KindDNSLookup.
	Query string
	// Count is the number of entries an LDAP query returned.
	Count uint32
	// Attribute is the directory attribute a KindDirectoryChange reports (e.g. "memberOf").
	Attribute string
}

// Batch is what a sensor posts in one request.
type Batch struct {
	// Tenant is the tenant id the sensor belongs to. Required; must match the token.
	Tenant string
	// Sensor is the sensor id, unique within the tenant. Required.
	Sensor string
	// Sequence numbers the sensor's batches from 1; a retry keeps it.
	Sequence uint64
	// ID must equal BatchID(Sensor, Sequence); the backend dedupes on it per tenant.
	ID string
	// Events are the observations, in the order the sensor made them.
	Events []Event
}

// BatchID returns the id of batch sequence seq of sensor: "<sensor>:<seq>".
func BatchID(sensor string, seq uint64) string {
	return string(AppendBatchID(make([]byte, 0, len(sensor)+21), sensor, seq))
}

// AppendBatchID appends BatchID(sensor, seq) to dst.
func AppendBatchID(dst []byte, sensor string, seq uint64) []byte {
	dst = append(dst, sensor...)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, seq, 10)
}
