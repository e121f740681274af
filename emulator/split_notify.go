package emulator

import "sync"

// partitionsNotifier tells subscribers which containers' partitions changed (splits), so
// that whatever records or mirrors the store's metadata (a write-ahead log, other regions)
// records the new partition key ranges before documents are written to them.
type partitionsNotifier struct {
	mu      sync.Mutex
	hooks   []func(database, container string)
	changed []*container
}

// OnPartitionsChanged registers fn to be called after a container's physical partitions
// change (a split), with the store's locks released. Calls come from the server's
// maintenance and from the request that created the container; fn must not block long.
// NOTE: the durable log and region mirroring must subscribe, or a restart or a failover
// after a split meets documents in partition key ranges its metadata does not have.
func (s *Server) OnPartitionsChanged(fn func(database, container string)) {
	n := &s.tp.notifier
	n.mu.Lock()
	n.hooks = append(n.hooks, fn)
	n.mu.Unlock()
}

func (tp *throughputState) noteChanged(c *container) {
	n := &tp.notifier
	n.mu.Lock()
	n.changed = append(n.changed, c)
	n.mu.Unlock()
}

// notifyPartitionsChanged calls the hooks for the containers changed since the last call.
// Callers hold no store, partition or throughput lock.
func (s *Server) notifyPartitionsChanged() {
	n := &s.tp.notifier
	n.mu.Lock()
	changed, hooks := n.changed, n.hooks
	n.changed = nil
	n.mu.Unlock()
	seen := map[*container]bool{}
	for _, c := range changed {
		if seen[c] {
			continue
		}
		seen[c] = true
		for _, fn := range hooks {
			fn(c.db.id, c.id)
		}
	}
}
