package detect

import (
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

// account is what the rules remember about one acting account.
type account struct {
	events     int64
	hosts      *lru      // source hosts the account used
	targets    *lru      // computers the account logged on to
	tgtHosts   *lru      // hosts where it obtained a TGT, with times
	failures   *counter  // failed authentications (brute force)
	roasted    *distinct // services with RC4 tickets (kerberoasting)
	recon      *distinct // enumeration queries
	newTargets *distinct // computers never seen before (lateral movement)

	// The last host, target and TGT host seen: most events repeat them, and comparing
	// strings saves the map operations.
	lastHost, lastTarget, lastTGTHost string
}

func (a *account) knowsHost(h string) bool { return h == a.lastHost || a.hosts.has(h) }

func newAccount(c Config) *account {
	return &account{hosts: newLRU(64), targets: newLRU(64), tgtHosts: newLRU(8),
		failures: newCounter(c.BruteForceFailures), roasted: newDistinct(c.RoastServices),
		recon: newDistinct(c.ReconQueries), newTargets: newDistinct(c.LateralHosts)}
}

// learn records the event as normal behaviour after the rules ran.
func (a *account) learn(e *api.Event) {
	a.events++
	ms := e.Time.UnixMilli()
	if e.SourceHost != "" && e.SourceHost != a.lastHost {
		a.hosts.put(e.SourceHost, ms)
		a.lastHost = e.SourceHost
	}
	if e.Target.Type == api.EntityComputer && e.Result == api.ResultSuccess && e.Target.Name != a.lastTarget {
		a.targets.put(e.Target.Name, ms)
		a.lastTarget = e.Target.Name
	}
}

// counter fires when n events fall within a window. It keeps the last n times in a ring.
type counter struct {
	times []int64
	next  int
	full  bool
}

func newCounter(n int) *counter { return &counter{times: make([]int64, n)} }

// add records an event at ms and reports whether the last n events fit in window; it then
// starts counting afresh so one burst fires once per n events.
func (c *counter) add(ms int64, window time.Duration) bool {
	c.times[c.next] = ms
	c.next = (c.next + 1) % len(c.times)
	if c.next == 0 {
		c.full = true
	}
	if !c.full || ms-c.times[c.next] > window.Milliseconds() {
		return false
	}
	c.full, c.next = false, 0
	return true
}

// distinct fires when n distinct items were seen within a window.
type distinct struct {
	n    int
	seen map[string]int64
}

func newDistinct(n int) *distinct { return &distinct{n: n, seen: map[string]int64{}} }

func (d *distinct) add(item string, ms int64, window time.Duration) bool {
	d.seen[item] = ms
	if len(d.seen) < d.n {
		return false
	}
	since := ms - window.Milliseconds()
	for k, t := range d.seen {
		if t < since {
			delete(d.seen, k)
		}
	}
	if len(d.seen) < d.n {
		return false
	}
	clear(d.seen)
	return true
}

// lru is a small bounded set of names with the last time each was seen; when full, the
// oldest is evicted.
type lru struct {
	cap  int
	seen map[string]int64
}

func newLRU(n int) *lru { return &lru{cap: n, seen: make(map[string]int64, 4)} }

func (l *lru) has(name string) bool { _, ok := l.seen[name]; return ok }
func (l *lru) len() int             { return len(l.seen) }

// lruResolution is how stale a remembered time may get before put refreshes it; it saves
// a map write per event on the hot path.
const lruResolution = int64(60_000)

func (l *lru) put(name string, ms int64) {
	if t, ok := l.seen[name]; ok {
		if ms > t+lruResolution {
			l.seen[name] = ms
		}
		return
	}
	if len(l.seen) >= l.cap {
		oldest, at := "", int64(1<<62)
		for k, t := range l.seen {
			if t < at {
				oldest, at = k, t
			}
		}
		delete(l.seen, oldest)
	}
	l.seen[name] = ms
}

func (l *lru) newest() int64 {
	var n int64
	for _, t := range l.seen {
		n = max(n, t)
	}
	return n
}
