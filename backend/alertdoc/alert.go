package alertdoc

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/stampede-load/stampede/backend/detect"
)

// Schema versions of Alert documents.
const (
	MinVersion     = 1
	CurrentVersion = 2
)

// Document is an Alert document in the current schema (version 2). The partition key is /id.
type Document struct {
	ID            string    `json:"id"`
	SchemaVersion int       `json:"schemaVersion"`
	Kind          string    `json:"kind"`
	Entity        string    `json:"entity"`
	Severity      int       `json:"severity"`
	SeverityName  string    `json:"severityName"`
	Status        string    `json:"status"`
	Detections    int64     `json:"detections"`
	FirstSeen     time.Time `json:"firstSeen"`
	LastSeen      time.Time `json:"lastSeen"`
	Evidence      []string  `json:"evidence"`
}

type documentV1 struct {
	ID            string    `json:"id"`
	SchemaVersion int       `json:"schemaVersion"`
	Kind          string    `json:"kind"`
	Entity        string    `json:"entity"`
	Severity      string    `json:"severity"`
	Count         int64     `json:"count"`
	FirstSeen     time.Time `json:"firstSeen"`
	LastSeen      time.Time `json:"lastSeen"`
	Evidence      []string  `json:"evidence"`
}

var levels = map[string]int{"low": 1, "medium": 2, "high": 3}

func levelName(level int) string {
	for name, l := range levels {
		if l == level {
			return name
		}
	}
	return "unknown"
}

// migrateV1toV2 maps the severity word to its level and renames count.
func migrateV1toV2(v1 *documentV1) (*Document, error) {
	level, ok := levels[v1.Severity]
	if !ok {
		return nil, fmt.Errorf("alert %q v1: severity %q: want low, medium or high", v1.ID, v1.Severity)
	}
	return &Document{ID: v1.ID, SchemaVersion: 2, Kind: v1.Kind, Entity: v1.Entity,
		Severity: level, SeverityName: v1.Severity, Status: "open", Detections: v1.Count,
		FirstSeen: v1.FirstSeen, LastSeen: v1.LastSeen, Evidence: v1.Evidence}, nil
}

// Decode parses a stored alert of any supported version and upgrades it. It returns the
// version it was stored in.
func Decode(raw []byte) (*Document, int, error) {
	var head struct {
		SchemaVersion *int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, 0, fmt.Errorf("read alert schemaVersion: %w", err)
	}
	v := 1
	if head.SchemaVersion != nil {
		v = *head.SchemaVersion
	}
	switch v {
	case 1:
		var v1 documentV1
		if err := json.Unmarshal(raw, &v1); err != nil {
			return nil, v, fmt.Errorf("decode alert v1: %w", err)
		}
		d, err := migrateV1toV2(&v1)
		return d, v, err
	case 2:
		var d Document
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, v, fmt.Errorf("decode alert v2: %w", err)
		}
		return &d, v, nil
	}
	return nil, v, fmt.Errorf("alert schemaVersion %d: this code reads %d..%d", v, MinVersion, CurrentVersion)
}

// Encode writes d in schema version v.
func Encode(d *Document, v int) ([]byte, error) {
	switch v {
	case 1:
		return json.Marshal(documentV1{ID: d.ID, SchemaVersion: 1, Kind: d.Kind, Entity: d.Entity,
			Severity: levelName(d.Severity), Count: d.Detections, FirstSeen: d.FirstSeen,
			LastSeen: d.LastSeen, Evidence: d.Evidence})
	case 2:
		out := *d
		out.SchemaVersion = 2
		return json.Marshal(&out)
	}
	return nil, fmt.Errorf("alert schemaVersion %d: this code writes %d..%d", v, MinVersion, CurrentVersion)
}

// Update folds detections new detections of a into the stored alert d (nil if none yet) and
// returns the result.
func Update(d *Document, a detect.Alert, detections int64) *Document {
	if d == nil {
		d = &Document{ID: a.ID, SchemaVersion: CurrentVersion, Kind: a.Kind, Entity: a.Entity,
			Status: "open", FirstSeen: a.FirstSeen}
	}
	d.Severity = max(d.Severity, levels[a.Severity])
	d.SeverityName = levelName(d.Severity)
	d.Detections += detections
	if a.LastSeen.After(d.LastSeen) {
		d.LastSeen = a.LastSeen
	}
	if d.FirstSeen.IsZero() || a.FirstSeen.Before(d.FirstSeen) {
		d.FirstSeen = a.FirstSeen
	}
	for _, ev := range a.Evidence {
		if len(d.Evidence) < 10 && !slices.Contains(d.Evidence, ev) {
			d.Evidence = append(d.Evidence, ev)
		}
	}
	return d
}
