package detect

import (
	"math"
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

// account is what the rules remember about one acting account.
type account struct {
	events   int64
	auths    decayed   // authentications (brute force ratio)
	failures decayed   // failed guesses (brute force)
	roasted  *distinct // services with RC4 tickets (kerberoasting)
	recon    *distinct // enumeration queries
	reached  *lru      // computers reached by privileged network logons (lateral movement)
	hops     *distinct // computers reached by hopping (lateral movement)

	// home is the computer the account usually works from (majority vote), homeEvents the
	// events from it since it became the candidate.
	home       string
	vote       int64
	homeEvents int64
	// foreign counts targets reached from one computer other than home, per alert kind.
	foreign     map[string]*distinct
	foreignHost map[string]string
}

func newAccount(c Config) *account {
	return &account{roasted: newDistinct(c.RoastServices), recon: newDistinct(c.ReconQueries),
		reached: newLRU(64), hops: newDistinct(c.LateralHops), foreign: map[string]*distinct{},
		foreignHost: map[string]string{}}
}

// learn records the event as normal behaviour after the rules ran.
func (a *account) learn(e *api.Event) {
	a.events++
	h := e.SourceHost
	switch {
	case h == "":
	case h == a.home:
		a.vote++
		a.homeEvents++
	case a.vote == 0:
		a.home, a.vote, a.homeEvents = h, 1, 1
	default:
		a.vote--
	}
}

// settled reports whether the account has a usual computer: enough history, 85% of it from
// home. Service accounts that act from many servers never settle.
func (a *account) settled(minHistory int) bool {
	return a.events >= int64(minHistory) && a.homeEvents*100 >= a.events*85
}

// hostState is what the rules remember about one source computer.
type hostState struct {
	failing, succeeding *recent // accounts failing and succeeding from it (password spray)
}

// maxRecent bounds a recent set; beyond it the entries outside the last window go.
const maxRecent = 4096

// recent is a set of names with the last time each was seen.
type recent struct{ seen map[string]int64 }

func newRecent() *recent { return &recent{seen: map[string]int64{}} }

func (r *recent) add(name string, ms int64) {
	if t, ok := r.seen[name]; ok && ms <= t+lruResolution {
		return
	}
	if len(r.seen) >= maxRecent {
		r.prune(ms - 3_600_000)
	}
	if len(r.seen) < maxRecent {
		r.seen[name] = ms
	}
}

// count returns how many names were seen at or after since, forgetting older ones.
func (r *recent) count(since int64) int {
	r.prune(since)
	return len(r.seen)
}

func (r *recent) prune(since int64) {
	for k, t := range r.seen {
		if t < since {
			delete(r.seen, k)
		}
	}
}

func (r *recent) reset() { clear(r.seen) }

// decayed is a count that decays exponentially with time constant tau (milliseconds).
type decayed struct {
	v  float64
	at int64
}

func (d *decayed) add(ms int64, tau float64, n float64) float64 {
	if ms > d.at {
		d.v *= math.Exp(-float64(ms-d.at) / tau)
		d.at = ms
	}
	d.v += n
	return d.v
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
