package emulator

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// uniqueKeyPolicy is a container's unique key policy as sent and returned.
type uniqueKeyPolicy struct {
	UniqueKeys []struct {
		Paths []string `json:"paths"`
	} `json:"uniqueKeys"`
}

// parseUniqueKeys validates a unique key policy and splits its paths; nil when there is none.
func parseUniqueKeys(raw json.RawMessage) ([][][]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var pol uniqueKeyPolicy
	if err := json.Unmarshal(raw, &pol); err != nil {
		return nil, badRequest("uniqueKeyPolicy: %v", err)
	}
	var keys [][][]string
	for i, k := range pol.UniqueKeys {
		if len(k.Paths) == 0 || len(k.Paths) > 16 {
			return nil, badRequest("uniqueKeyPolicy.uniqueKeys[%d]: want 1 to 16 paths", i)
		}
		var paths [][]string
		for _, p := range k.Paths {
			segs, err := splitPath(p)
			if err != nil {
				return nil, badRequest("uniqueKeyPolicy.uniqueKeys[%d]: %v", i, err)
			}
			paths = append(paths, segs)
		}
		keys = append(keys, paths)
	}
	return keys, nil
}

// uniqueEntries are the unique index entries of a stored version: one per unique key, its
// partition key, the key's position and the values at its paths (a missing path counts as
// null, as the service treats it).
func (c *container) uniqueEntries(it *item) []string {
	keys := c.meta.Load().uniqueKeys
	out := make([]string, 0, len(keys))
	for i, paths := range keys {
		var b strings.Builder
		b.WriteString(it.pk.key)
		b.WriteByte(0)
		b.WriteString(strconv.Itoa(i))
		for _, segs := range paths {
			b.WriteByte(0)
			b.WriteString(uniqueValue(it.body, segs))
		}
		out = append(out, b.String())
	}
	return out
}

// uniqueValue is the canonical JSON of the value at segs in body, "null" when missing.
func uniqueValue(body []byte, segs []string) string {
	raw, ok := member(body, segs[0])
	for _, s := range segs[1:] {
		if !ok {
			break
		}
		raw, ok = member(raw, s)
	}
	if !ok {
		return "null"
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "null"
	}
	canon, _ := json.Marshal(v)
	return string(canon)
}

// uniqueIndex returns p's unique index, building it from p's documents the first time
// (a new partition, such as a split child, starts without one). Caller holds p.mu.
func (p *partition) uniqueIndex(now int64) map[string]string {
	if p.unique == nil {
		p.unique = map[string]string{}
		for key, s := range p.items {
			if s.cur != nil && !s.cur.expired(now) {
				for _, e := range p.c.uniqueEntries(s.cur) {
					p.unique[e] = key
				}
			}
		}
	}
	return p.unique
}

// checkUnique answers 409 when next would take a unique key value another document of its
// logical partition holds in v: the committed documents, and in a transactional batch the
// versions its earlier operations wrote. Caller holds p.mu.
func (p *partition) checkUnique(v itemView, key string, next *item, now int64) error {
	if len(p.c.meta.Load().uniqueKeys) == 0 || next == nil {
		return nil
	}
	idx := p.uniqueIndex(now)
	batch, _ := v.(*batchView)
	for _, e := range p.c.uniqueEntries(next) {
		if p.holdsUnique(batch, e, idx[e], key, now) {
			return conflict("unique index constraint violation: another document in partition "+
				"key %s already has these values for a unique key of the container", next.pk.key)
		}
	}
	return nil
}

// holdsUnique reports whether a document other than key holds unique entry e: owner, its
// committed holder ("" if none), unless the batch rewrote or deleted it, or a version the
// batch wrote.
func (p *partition) holdsUnique(batch *batchView, e, owner, key string, now int64) bool {
	if owner != "" && owner != key {
		if batch == nil {
			if p.get(owner, now) != nil {
				return true
			}
		} else if it := batch.current(owner, now); it != nil {
			if _, rewritten := batch.written[owner]; !rewritten ||
				slices.Contains(p.c.uniqueEntries(it), e) {
				return true
			}
		}
	}
	if batch == nil {
		return false
	}
	for k, it := range batch.written {
		if k != key && it != nil && slices.Contains(p.c.uniqueEntries(it), e) {
			return true
		}
	}
	return false
}

// indexUnique moves key's unique index entries from the old version to next (nil: deleted).
// Caller holds p.mu.
func (p *partition) indexUnique(key string, old, next *item) {
	if p.unique == nil || len(p.c.meta.Load().uniqueKeys) == 0 {
		return
	}
	if old != nil {
		for _, e := range p.c.uniqueEntries(old) {
			if p.unique[e] == key {
				delete(p.unique, e)
			}
		}
	}
	if next != nil {
		for _, e := range p.c.uniqueEntries(next) {
			p.unique[e] = key
		}
	}
}
