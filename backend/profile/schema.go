package profile

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// MinVersion is the oldest profile schema version this code can still read.
const MinVersion = 1

// documentV1 is the version 1 schema: hourly activity as a map keyed by the hour.
type documentV1 struct {
	ID            string           `json:"id"`
	SchemaVersion int              `json:"schemaVersion"`
	Entity        string           `json:"entity"`
	Counts        map[string]int64 `json:"counts"`
	Hours         map[string]int64 `json:"hours"`
	Peers         []string         `json:"peers"`
	Protocols     []string         `json:"protocols"`
	FirstSeen     time.Time        `json:"firstSeen"`
	LastSeen      time.Time        `json:"lastSeen"`
	Fence         map[string]Fence `json:"fence,omitempty"`
}

// documentV2 is the version 2 schema: hourly activity as 24 counters, peers as names.
type documentV2 struct {
	ID            string           `json:"id"`
	SchemaVersion int              `json:"schemaVersion"`
	Entity        string           `json:"entity"`
	Counts        map[string]int64 `json:"counts"`
	Hourly        [24]int64        `json:"hourly"`
	Peers         []string         `json:"peers"`
	Protocols     []string         `json:"protocols"`
	FirstSeen     time.Time        `json:"firstSeen"`
	LastSeen      time.Time        `json:"lastSeen"`
	Fence         map[string]Fence `json:"fence,omitempty"`
}

// migrateV1toV2 turns the hour map into the array. Keys that are not hours 0..23 cannot come
// from any writer; they are an error rather than silently dropped.
func migrateV1toV2(v1 *documentV1) (*documentV2, error) {
	v2 := &documentV2{ID: v1.ID, SchemaVersion: 2, Entity: v1.Entity, Counts: v1.Counts,
		Peers: v1.Peers, Protocols: v1.Protocols, FirstSeen: v1.FirstSeen,
		LastSeen: v1.LastSeen, Fence: v1.Fence}
	for key, n := range v1.Hours {
		h, err := strconv.Atoi(key)
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("profile %q v1: hours key %q: want 0..23", v1.ID, key)
		}
		v2.Hourly[h] += n
	}
	return v2, nil
}

// migrateV2toV3 turns peer names into peer records. Version 2 kept no per-peer counts, so
// migrated peers start at count 0 and the document's last-seen time.
func migrateV2toV3(v2 *documentV2) *Document {
	d := &Document{ID: v2.ID, SchemaVersion: 3, Entity: v2.Entity, Counts: v2.Counts,
		Hourly: v2.Hourly, Protocols: v2.Protocols, FirstSeen: v2.FirstSeen,
		LastSeen: v2.LastSeen, Fence: v2.Fence}
	for _, name := range v2.Peers {
		d.Peers = append(d.Peers, Peer{Name: name, LastSeen: v2.LastSeen})
	}
	return d
}

// Version reads only the schemaVersion of a stored document; documents written before
// versioning (no field) are version 1.
func Version(raw []byte) (int, error) {
	var head struct {
		SchemaVersion *int `json:"schemaVersion"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return 0, fmt.Errorf("read schemaVersion: %w", err)
	}
	if head.SchemaVersion == nil {
		return 1, nil
	}
	return *head.SchemaVersion, nil
}

// Decode parses a stored profile of any supported version and upgrades it to the current
// schema. It returns the version it was stored in.
func Decode(raw []byte) (*Document, int, error) {
	v, err := Version(raw)
	if err != nil {
		return nil, 0, err
	}
	switch v {
	case 1:
		var v1 documentV1
		if err := json.Unmarshal(raw, &v1); err != nil {
			return nil, v, fmt.Errorf("decode profile v1: %w", err)
		}
		v2, err := migrateV1toV2(&v1)
		if err != nil {
			return nil, v, err
		}
		return fixup(migrateV2toV3(v2)), v, nil
	case 2:
		var v2 documentV2
		if err := json.Unmarshal(raw, &v2); err != nil {
			return nil, v, fmt.Errorf("decode profile v2: %w", err)
		}
		return fixup(migrateV2toV3(&v2)), v, nil
	case CurrentVersion:
		var d Document
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, v, fmt.Errorf("decode profile v3: %w", err)
		}
		return fixup(&d), v, nil
	}
	return nil, v, fmt.Errorf("profile schemaVersion %d: this code reads %d..%d", v, MinVersion, CurrentVersion)
}

func fixup(d *Document) *Document {
	if d.Counts == nil {
		d.Counts = map[string]int64{}
	}
	return d
}

// Encode writes d in schema version v (MinVersion..CurrentVersion), as the backend code of
// that version would. Writing an older version loses what it cannot hold (peer counts,
// failures).
func Encode(d *Document, v int) ([]byte, error) {
	switch v {
	case 1:
		hours := make(map[string]int64, 24)
		for h, n := range d.Hourly {
			if n != 0 {
				hours[strconv.Itoa(h)] = n
			}
		}
		return json.Marshal(documentV1{ID: d.ID, SchemaVersion: 1, Entity: d.Entity,
			Counts: d.Counts, Hours: hours, Peers: peerNames(d.Peers), Protocols: d.Protocols,
			FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, Fence: d.Fence})
	case 2:
		return json.Marshal(documentV2{ID: d.ID, SchemaVersion: 2, Entity: d.Entity,
			Counts: d.Counts, Hourly: d.Hourly, Peers: peerNames(d.Peers),
			Protocols: d.Protocols, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen, Fence: d.Fence})
	case CurrentVersion:
		out := *d
		out.SchemaVersion = CurrentVersion
		return json.Marshal(&out)
	}
	return nil, fmt.Errorf("profile schemaVersion %d: this code writes %d..%d", v, MinVersion, CurrentVersion)
}

func peerNames(peers []Peer) []string {
	names := make([]string, len(peers))
	for i, p := range peers {
		names[i] = p.Name
	}
	return names
}
