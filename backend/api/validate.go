package api

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// maxProblems bounds the problems Validate reports for one batch.
const maxProblems = 20

// Validate reports every problem with b (up to 20, then a count of the rest), each a
// *FieldError naming the field and event index, joined with errors.Join; nil when b is valid.
// It does not modify b.
func (b *Batch) Validate() error {
	p := problems{index: -1}
	p.id("tenant", b.Tenant)
	p.id("sensor", b.Sensor)
	if b.Sequence == 0 {
		p.add("seq", "must be at least 1")
	}
	var buf [160]byte
	if want := AppendBatchID(buf[:0], b.Sensor, b.Sequence); b.ID != string(want) {
		p.add("id", "%q does not match sensor and seq (want %q)", b.ID, want)
	}
	switch {
	case len(b.Events) == 0:
		p.add("events", "must hold at least one event")
	case len(b.Events) > MaxEventsPerBatch:
		p.add("events", "%d events, more than %d", len(b.Events), MaxEventsPerBatch)
	}
	for i := range b.Events {
		b.Events[i].validate(i, &p)
	}
	p.index = -1
	return p.err()
}

// Validate reports every problem with e as *FieldErrors joined with errors.Join.
func (e *Event) Validate() error {
	p := problems{index: -1}
	e.validate(-1, &p)
	return p.err()
}

func (e *Event) validate(i int, p *problems) {
	p.index = i
	if !e.Kind.Valid() {
		p.add("kind", "missing or unknown (allowed: %s)", allowed(kindNames[:]))
	}
	if e.Time.IsZero() || e.Time.Year() < 1970 || e.Time.Year() > 9999 {
		p.add("time", "missing or outside years 1970..9999")
	}
	p.entity("src", e.Source)
	p.entity("dst", e.Target)
	p.name("src_host", e.SourceHost)
	p.name("dst_host", e.TargetHost)
	p.name("query", e.Query)
	p.name("attr", e.Attribute)
	if !e.Result.Valid() {
		p.add("result", "unknown (allowed: %s)", allowed(resultNames[:]))
	}
	if !e.Encryption.Valid() {
		p.add("enc", "unknown (allowed: %s)", allowed(encNames[:]))
	}
	e.validateKind(p)
}

// validateKind checks the fields each kind requires (see doc.go).
func (e *Event) validateKind(p *problems) {
	needSource := e.Kind.Valid() && !e.Kind.IsDirectorySync()
	if needSource && e.Source.IsZero() && e.SourceHost == "" {
		p.add("src", "%s needs src or src_host", e.Kind)
	}
	switch e.Kind {
	case KindKerberosTGS:
		if e.Target.Type != EntityService {
			p.add("dst", "kerberos_tgs needs a dst of type service")
		}
	case KindLDAPQuery, KindDNSLookup:
		if e.Query == "" {
			p.add("query", "%s needs a query", e.Kind)
		}
	case KindDirectoryCreate, KindDirectoryChange, KindDirectoryDisable:
		if e.Target.IsZero() {
			p.add("dst", "%s needs the entity in dst", e.Kind)
		}
		if e.Kind == KindDirectoryChange && e.Attribute == "" {
			p.add("attr", "directory_change needs attr")
		}
	}
}

// problems collects FieldErrors. Paths are built only when a problem is found, so that
// validating a good batch does not allocate.
type problems struct {
	errs  []error
	extra int
	// index is the event being validated, -1 for batch fields and lone events.
	index int
}

func (p *problems) add(field, format string, args ...any) {
	if len(p.errs) >= maxProblems {
		p.extra++
		return
	}
	if p.index >= 0 {
		field = eventField(p.index, field)
	}
	p.errs = append(p.errs, fieldErr(field, format, args...))
}

func (p *problems) err() error {
	if p.extra > 0 {
		p.errs = append(p.errs, fmt.Errorf("and %d more problems", p.extra))
	}
	return errors.Join(p.errs...)
}

// id checks a tenant or sensor id: 1..128 bytes of letters, digits, '.', '_' and '-'.
func (p *problems) id(field, s string) {
	if s == "" {
		p.add(field, "required")
		return
	}
	if len(s) > 128 {
		p.add(field, "%d bytes, longer than 128", len(s))
		return
	}
	for i := 0; i < len(s); i++ {
		if !isIDByte(s[i]) {
			p.add(field, "%q: only letters, digits, '.', '_' and '-' are allowed", s)
			return
		}
	}
}

func isIDByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '.' || c == '_' || c == '-'
}

func (p *problems) name(field, s string) {
	if len(s) > MaxNameLen {
		p.add(field, "%d bytes, longer than %d", len(s), MaxNameLen)
	} else if !utf8.ValidString(s) {
		p.add(field, "not valid UTF-8")
	}
}

func (p *problems) entity(field string, r EntityRef) {
	switch {
	case r.IsZero():
	case !r.Type.Valid():
		p.add(field+".type", "missing or unknown (allowed: %s)", allowed(entityTypeNames[:]))
	case r.Name == "":
		p.add(field+".name", "required")
	case len(r.Name) > MaxNameLen || !utf8.ValidString(r.Name):
		p.name(field+".name", r.Name)
	}
}
