package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/stampede-load/stampede/emulator/epk"
	"github.com/stampede-load/stampede/emulator/query"
)

// streamToken is the continuation of a streamable query: the EPK range being read, the
// creation sequence of the last document evaluated in it, and rows emitted so far (for
// TOP). Because sequence numbers are container-wide and never reused, a token survives a
// split of the range: the children are read together, merged by sequence.
type streamToken struct {
	Version int    `json:"v"`
	Min     string `json:"min"`
	Max     string `json:"max"`
	Seq     int64  `json:"seq"`
	Emitted int    `json:"n,omitempty"`
	// Snapshot names a server-side result snapshot (non-streamable queries) and Offset the
	// next row in it.
	Snapshot string `json:"snap,omitempty"`
	Offset   int    `json:"off,omitempty"`
}

const tokenVersion = 1

func (t streamToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseToken decodes an x-ms-continuation value this emulator issued.
func parseToken(s string) (streamToken, error) {
	var t streamToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err == nil && t.Version != tokenVersion {
		err = fmt.Errorf("version %d", t.Version)
	}
	if err == nil && (t.Seq < 0 || t.Emitted < 0 || t.Offset < 0) {
		err = errors.New("negative position")
	}
	if err != nil {
		return t, badRequest("the continuation token %q is not one this emulator issued: %v",
			truncate(s, 64), err)
	}
	return t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// rangeGroup is the partitions covering one EPK range of the scope.
type rangeGroup struct {
	min, max string
	parts    []*partition
}

// groups returns the scope's partitions as consecutive ranges, from the token's range on.
func (sc queryScope) groups(tok *streamToken) []rangeGroup {
	parts := append([]*partition(nil), sc.parts...)
	sortPartitions(parts)
	var out []rangeGroup
	if tok != nil {
		// The token's range, read together even if it has split since.
		g := rangeGroup{min: tok.Min, max: tok.Max}
		for _, p := range parts {
			if epk.Compare(p.min, tok.Min) >= 0 && rangeBefore(p.max, tok.Max) {
				g.parts = append(g.parts, p)
			}
		}
		if len(g.parts) > 0 {
			out = append(out, g)
		}
		for _, p := range parts {
			if epk.Compare(p.min, tok.Max) >= 0 && tok.Max != epk.MaxExclusive {
				out = append(out, rangeGroup{min: p.min, max: p.max, parts: []*partition{p}})
			}
		}
		return out
	}
	for _, p := range parts {
		out = append(out, rangeGroup{min: p.min, max: p.max, parts: []*partition{p}})
	}
	return out
}

// rangeBefore reports a <= b for range upper bounds, where "FF" is the largest.
func rangeBefore(a, b string) bool {
	if b == epk.MaxExclusive {
		return true
	}
	if a == epk.MaxExclusive {
		return false
	}
	return epk.Compare(a, b) <= 0
}

// candidate is a live document picked for evaluation.
type candidate struct {
	seq int64
	it  *item
}

// collect gathers up to limit live documents of g with sequence > after, in sequence
// order. With several partitions (a split range) each contributes up to limit, and the
// merge stops at the smallest last sequence of a truncated partition, so nothing is skipped.
func (g rangeGroup) collect(sc queryScope, after int64, limit int, now int64) ([]candidate, bool) {
	var out []candidate
	more := false
	cutoff := int64(-1)
	for _, p := range g.parts {
		n := 0
		p.mu.RLock()
		i := sort.Search(len(p.order), func(i int) bool { return p.order[i].seq > after })
		for ; i < len(p.order); i++ {
			s := p.order[i]
			if n >= limit {
				more = true
				if last := p.order[i-1].seq; cutoff < 0 || last < cutoff {
					cutoff = last
				}
				break
			}
			n++
			if sc.matches(s.cur, now) {
				out = append(out, candidate{seq: s.seq, it: s.cur})
			}
		}
		p.mu.RUnlock()
	}
	if len(g.parts) > 1 {
		sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
		if cutoff >= 0 {
			k := sort.Search(len(out), func(i int) bool { return out[i].seq > cutoff })
			out = out[:k]
		}
	}
	if more && len(out) == 0 && cutoff >= 0 {
		// Every scanned slot was filtered out; resume after the cutoff.
		out = append(out, candidate{seq: cutoff})
	}
	return out, more
}

// streamPage evaluates documents in position order until the page is full.
func (rq *request) streamPage(b *query.Bound, text string, sc queryScope,
	pageItems int,
) (page, error) {
	st := &streamer{b: b, sc: sc, pageItems: pageItems, now: rq.s.now().Unix(),
		selectAll: selectAllPattern.MatchString(text), pg: page{first: true}}
	st.top, st.hasTop = b.Top()
	var tok *streamToken
	if s := rq.header(hdrContinuation); s != "" {
		t, err := parseToken(s)
		if err != nil {
			return st.pg, err
		}
		tok, st.pg.first, st.emitted = &t, false, t.Emitted
	}
	for gi, g := range sc.groups(tok) {
		after := int64(0)
		if gi == 0 && tok != nil {
			after = tok.Seq
		}
		if done, err := st.readGroup(g, after); done || err != nil {
			return st.pg, err
		}
	}
	return st.pg, nil
}

// streamer is the state of one streamable query page.
type streamer struct {
	b         *query.Bound
	sc        queryScope
	pageItems int
	now       int64
	selectAll bool
	top       int
	hasTop    bool
	emitted   int // rows emitted by the whole query so far, for TOP
	bytes     int
	pg        page
}

// readGroup evaluates the documents of g after sequence after; done reports that the page
// is complete (full, or TOP reached).
func (st *streamer) readGroup(g rangeGroup, after int64) (done bool, err error) {
	for {
		cands, more := g.collect(st.sc, after, min(st.pageItems*4, maxPageEvaluated), st.now)
		for _, cd := range cands {
			after = cd.seq
			if cd.it == nil {
				continue
			}
			if err := st.evaluate(cd.it); err != nil {
				return true, err
			}
			if st.hasTop && st.emitted >= st.top {
				return true, nil
			}
			if st.full() {
				st.pg.continuation = streamToken{Version: tokenVersion, Min: g.min, Max: g.max,
					Seq: after, Emitted: st.emitted}.encode()
				return true, nil
			}
		}
		if !more {
			return false, nil
		}
	}
}

func (st *streamer) evaluate(it *item) error {
	rows, err := evalDoc(st.b, it.body, st.selectAll)
	if err != nil {
		return err
	}
	st.pg.evaluated++
	for _, r := range rows {
		if st.hasTop && st.emitted >= st.top {
			break
		}
		st.pg.rows = append(st.pg.rows, r)
		st.emitted++
		st.bytes += len(r)
	}
	return nil
}

func (st *streamer) full() bool {
	return len(st.pg.rows) >= st.pageItems || st.bytes >= maxPageBytes ||
		st.pg.evaluated >= maxPageEvaluated
}

// evalDoc runs the query's per-document pipeline on one stored body; for SELECT * the
// row is the body itself.
func evalDoc(b *query.Bound, body []byte, selectAll bool) ([][]byte, error) {
	if selectAll {
		return [][]byte{body}, nil
	}
	doc, err := decodeDoc(body)
	if err != nil {
		return nil, err
	}
	rows, err := b.Apply(doc)
	if err != nil {
		return nil, queryError(err)
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		if out[i], err = encodeRow(r, doc, body); err != nil {
			return nil, err
		}
	}
	return out, nil
}
