package profile

import (
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

// Bounds of the learned statistics.
const (
	// MaxPeers is the most peers a document keeps; further peers are counted in PeersDropped.
	MaxPeers = 64
	// maxKinds bounds api.Kind values; init checks the wire protocol still fits.
	maxKinds = 16
)

var protocolNames = []string{"kerberos", "ntlm", "ldap", "dns", "windows_logon", "directory_sync", "other"}

var (
	kindProtocol [maxKinds]uint8 // index into protocolNames per kind
	kindNames    [maxKinds]string
)

func init() {
	for _, k := range api.Kinds() {
		if int(k) >= maxKinds {
			panic("profile: api.Kind outgrew maxKinds; raise it")
		}
		kindNames[k] = k.String()
		p := Protocol(k)
		for i, n := range protocolNames {
			if n == p {
				kindProtocol[k] = uint8(i)
			}
		}
	}
}

// Delta is what one entity's events added since its last flush. The zero value is empty and
// ready to use. A Delta is not safe for concurrent use.
type Delta struct {
	// Counts is the conserved counter per event kind, indexed by api.Kind.
	Counts [maxKinds]int64
	// Hourly counts events per hour of day (UTC, scenario clock).
	Hourly [24]int64
	// Failures counts events whose result was not success.
	Failures int64
	// Protocols is a bit set over protocolNames.
	Protocols uint32
	// First and Last bound the event times, in Unix milliseconds; 0 when empty.
	First, Last int64
	// peers counts events per peer name, up to MaxPeers names.
	peers        map[string]int64
	peersDropped int64
}

// Add folds one event into d.
func (d *Delta) Add(e *api.Event) {
	d.Counts[e.Kind%maxKinds]++
	ms := e.Time.UnixMilli()
	d.Hourly[(ms/3_600_000)%24]++
	if e.Result != api.ResultSuccess {
		d.Failures++
	}
	d.Protocols |= 1 << kindProtocol[e.Kind%maxKinds]
	if d.First == 0 || ms < d.First {
		d.First = ms
	}
	if ms > d.Last {
		d.Last = ms
	}
	if p := PeerOf(e); p != "" {
		d.addPeer(p, 1)
	}
}

func (d *Delta) addPeer(name string, n int64) {
	if _, ok := d.peers[name]; !ok && len(d.peers) >= MaxPeers {
		d.peersDropped += n
		return
	}
	if d.peers == nil {
		d.peers = make(map[string]int64, 4)
	}
	d.peers[name] += n
}

// Events returns the number of events in d (the sum of Counts).
func (d *Delta) Events() int64 {
	var n int64
	for _, c := range d.Counts {
		n += c
	}
	return n
}

// Merge adds o into d.
func (d *Delta) Merge(o *Delta) {
	for i := range d.Counts {
		d.Counts[i] += o.Counts[i]
	}
	for i := range d.Hourly {
		d.Hourly[i] += o.Hourly[i]
	}
	d.Failures += o.Failures
	d.Protocols |= o.Protocols
	if o.First != 0 && (d.First == 0 || o.First < d.First) {
		d.First = o.First
	}
	d.Last = max(d.Last, o.Last)
	for name, n := range o.peers {
		d.addPeer(name, n)
	}
	d.peersDropped += o.peersDropped
}

// PeerCount returns how many events of d named peer.
func (d *Delta) PeerCount(peer string) int64 { return d.peers[peer] }

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
