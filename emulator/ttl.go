package emulator

import "time"

// sweepInterval is how often expired documents are removed from memory. Expired documents
// are invisible at once (every read checks expiry); the sweep only reclaims their memory.
const sweepInterval = 2 * time.Second

// sweepExpired runs until the server stops, deleting expired documents of containers that
// have TTL on. Deletions go through commit, like any other write.
func (s *Server) sweepExpired() {
	defer s.wg.Done()
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweepOnce(s.now().Unix())
		}
	}
}

func (s *Server) sweepOnce(now int64) {
	if s.isReplica() {
		return
	}
	for _, c := range s.store.allContainers() {
		if c.meta.Load().defaultTTL == nil {
			continue
		}
		for _, p := range c.partitions() {
			p.sweep(now)
		}
	}
}

// sweep deletes p's expired documents, holding the lock in short steps.
func (p *partition) sweep(now int64) {
	p.mu.RLock()
	var expired []string
	for key, s := range p.items {
		if s.cur != nil && s.cur.expired(now) {
			expired = append(expired, key)
		}
	}
	p.mu.RUnlock()
	for _, key := range expired {
		p.mu.Lock()
		if s := p.items[key]; s != nil && s.cur != nil && s.cur.expired(now) {
			p.commit(opDelete, key, nil)
		}
		p.mu.Unlock()
	}
}

func (st *store) allContainers() []*container {
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []*container
	for _, d := range st.dbs {
		for _, c := range d.colls {
			out = append(out, c)
		}
	}
	return out
}
