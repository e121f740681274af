package profile

import (
	"slices"
	"time"
)

// CurrentVersion is the newest profile schema version this code reads and writes.
const CurrentVersion = 3

// Fence records the last flush of one backend node applied to a document.
type Fence struct {
	// Epoch identifies the node's process lifetime (its start time in Unix nanoseconds).
	Epoch int64 `json:"epoch"`
	// Seq is the node's flush sequence, increasing within an epoch.
	Seq uint64 `json:"seq"`
}

// covers reports whether fence f shows that flush (epoch, seq) was already applied.
func (f Fence) covers(epoch int64, seq uint64) bool {
	return f.Epoch > epoch || (f.Epoch == epoch && f.Seq >= seq)
}

// Peer is one entity seen on the other side of the subject's activity.
type Peer struct {
	Name     string    `json:"name"`
	Count    int64     `json:"count"`
	LastSeen time.Time `json:"lastSeen"`
}

// Document is a UniqueEntityProfile document in the current schema (version 3). The
// partition key is /id.
type Document struct {
	ID            string           `json:"id"`
	SchemaVersion int              `json:"schemaVersion"`
	Entity        string           `json:"entity"` // "<type>:<name>", unescaped
	Counts        map[string]int64 `json:"counts"`
	Hourly        [24]int64        `json:"hourly"`
	Peers         []Peer           `json:"peers"`
	PeersDropped  int64            `json:"peersDropped"`
	Protocols     []string         `json:"protocols"`
	Failures      int64            `json:"failures"`
	FirstSeen     time.Time        `json:"firstSeen"`
	LastSeen      time.Time        `json:"lastSeen"`
	Fence         map[string]Fence `json:"fence,omitempty"`
}

// NewDocument returns an empty current-version document for an entity.
func NewDocument(id, entity string) *Document {
	return &Document{ID: id, SchemaVersion: CurrentVersion, Entity: entity,
		Counts: map[string]int64{}}
}

// Total returns the sum of Counts: the events this document has counted.
func (d *Document) Total() int64 {
	var n int64
	for _, c := range d.Counts {
		n += c
	}
	return n
}

// Applied reports whether node's flush (epoch, seq) is already in d.
func (d *Document) Applied(node string, epoch int64, seq uint64) bool {
	f, ok := d.Fence[node]
	return ok && f.covers(epoch, seq)
}

// Apply adds delta to d and records node's flush (epoch, seq) in the fence. It returns false
// and changes nothing when the fence shows the flush was already applied.
func (d *Document) Apply(delta *Delta, node string, epoch int64, seq uint64) bool {
	if d.Applied(node, epoch, seq) {
		return false
	}
	if d.Counts == nil {
		d.Counts = map[string]int64{}
	}
	for k, n := range delta.Counts {
		if n != 0 {
			d.Counts[kindNames[k]] += n
		}
	}
	for i, n := range delta.Hourly {
		d.Hourly[i] += n
	}
	d.Failures += delta.Failures
	d.applyProtocols(delta.Protocols)
	d.applyTimes(delta)
	d.applyPeers(delta)
	if d.Fence == nil {
		d.Fence = map[string]Fence{}
	}
	d.Fence[node] = Fence{Epoch: epoch, Seq: seq}
	return true
}

func (d *Document) applyProtocols(bits uint32) {
	for i, name := range protocolNames {
		if bits&(1<<i) != 0 && !slices.Contains(d.Protocols, name) {
			d.Protocols = append(d.Protocols, name)
		}
	}
}

func (d *Document) applyTimes(delta *Delta) {
	if first := msTime(delta.First); !first.IsZero() && (d.FirstSeen.IsZero() || first.Before(d.FirstSeen)) {
		d.FirstSeen = first
	}
	if last := msTime(delta.Last); last.After(d.LastSeen) {
		d.LastSeen = last
	}
}

// applyPeers adds the delta's peers, keeping at most MaxPeers; when full, a new peer replaces
// the least-seen one only if it was seen more often, otherwise it is counted as dropped.
func (d *Document) applyPeers(delta *Delta) {
	last := msTime(delta.Last)
	for name, n := range delta.peers {
		if i := slices.IndexFunc(d.Peers, func(p Peer) bool { return p.Name == name }); i >= 0 {
			d.Peers[i].Count += n
			d.Peers[i].LastSeen = last
			continue
		}
		if len(d.Peers) < MaxPeers {
			d.Peers = append(d.Peers, Peer{Name: name, Count: n, LastSeen: last})
			continue
		}
		least := 0
		for i, p := range d.Peers {
			if p.Count < d.Peers[least].Count {
				least = i
			}
		}
		if d.Peers[least].Count < n {
			d.PeersDropped += d.Peers[least].Count
			d.Peers[least] = Peer{Name: name, Count: n, LastSeen: last}
		} else {
			d.PeersDropped += n
		}
	}
	d.PeersDropped += delta.peersDropped
}

// HasPeer reports whether name is among d's known peers.
func (d *Document) HasPeer(name string) bool {
	return slices.ContainsFunc(d.Peers, func(p Peer) bool { return p.Name == name })
}
