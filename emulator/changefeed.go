package emulator

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// defaultChangeFeedItems is the page size of the change feed without x-ms-max-item-count.
const defaultChangeFeedItems = 100

// changeFeed answers GET …/docs with A-IM: Incremental Feed, in latest-version mode: the
// current version of every document changed after the continuation, in LSN order per
// partition key range. Deletes do not appear. The etag is the continuation: the LSN read
// up to, quoted; If-None-Match carries it back.
func (rq *request) changeFeed(c *container) error {
	p, err := rq.changeFeedPartition(c)
	if err != nil {
		return err
	}
	if err := rq.enter(p); err != nil {
		return err
	}
	from, since, err := rq.changeFeedStart()
	if err != nil {
		return err
	}
	limit, err := rq.maxItemCount(defaultChangeFeedItems, maxPageItems)
	if err != nil {
		return err
	}
	var pk *partitionKey
	if h := rq.header(hdrPartitionKey); h != "" {
		k, err := parsePartitionKeyHeader(h)
		if err != nil {
			return err
		}
		pk = &k
	}
	docs, last, token := p.changes(from, since, pk, limit, rq.s.now().Unix())
	h := rq.w.Header()
	h.Set(hdrETag, strconv.Quote(itoa(last)))
	h.Set(hdrSessionToken, token)
	if len(docs) == 0 {
		rq.charge = chargeMetadataRead
		rq.reply(http.StatusNotModified, nil)
		return nil
	}
	charge := queryBaseRU
	for _, d := range docs {
		charge += queryResultCharge(len(d))
	}
	rq.charge = round2(charge * rq.readFactor())
	h.Set(hdrItemCount, strconv.Itoa(len(docs)))
	rq.reply(http.StatusOK, feedBody(c.rid, "Documents", docs))
	return nil
}

func (rq *request) changeFeedPartition(c *container) (*partition, error) {
	id := rq.header(hdrPartitionKeyRange)
	if id == "" {
		parts := c.partitions()
		if len(parts) == 1 {
			return parts[0], nil
		}
		return nil, badRequest("the change feed of a container with %d partition key ranges "+
			"needs %s", len(parts), hdrPartitionKeyRange)
	}
	p := c.partitionByRange(id)
	if p == nil {
		return nil, &Error{kind: kindGone, substatus: 1002,
			msg: "partition key range " + strconv.Quote(id) + " does not exist (it may have split)"}
	}
	return p, nil
}

// changeFeedStart reads the continuation LSN (If-None-Match) and the start time
// (If-Modified-Since, in RFC 1123 with a UTC or GMT zone).
func (rq *request) changeFeedStart() (from int64, since int64, err error) {
	if v := rq.header(hdrIfNoneMatch); v != "" && v != "*" {
		from, err = strconv.ParseInt(strings.Trim(v, `"`), 10, 64)
		if err != nil || from < 0 {
			return 0, 0, badRequest("the change feed continuation (If-None-Match) %q is not an "+
				"etag this emulator issued", v)
		}
	}
	if v := rq.header(hdrIfModifiedSince); v != "" {
		t, perr := time.Parse(time.RFC1123, v)
		if perr != nil {
			if t, perr = http.ParseTime(v); perr != nil {
				return 0, 0, badRequest("If-Modified-Since %q is not an RFC 1123 date", v)
			}
		}
		since = t.Unix()
	}
	return from, since, nil
}

// changes returns up to limit current versions written after LSN from (and at or after
// unix time since), the LSN read up to, and the session token.
func (p *partition) changes(from, since int64, pk *partitionKey, limit int, now int64) (
	[][]byte, int64, string,
) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	i := sort.Search(len(p.log), func(i int) bool { return p.log[i].lsn > from })
	var docs [][]byte
	last := max(from, p.lsn)
	for ; i < len(p.log); i++ {
		e := p.log[i]
		it := e.slot.cur
		if it == nil || it.lsn != e.lsn || it.expired(now) || it.ts < since ||
			(pk != nil && !it.pk.hasPrefix(*pk)) {
			continue
		}
		if len(docs) == limit {
			last = p.log[i-1].lsn
			break
		}
		docs = append(docs, it.body)
	}
	return docs, last, p.sessionToken()
}
