package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// pkRange is one entry of the partition key ranges feed.
type pkRange struct {
	ID                 string   `json:"id"`
	RID                string   `json:"_rid"`
	Self               string   `json:"_self"`
	ETag               string   `json:"_etag"`
	MinInclusive       string   `json:"minInclusive"`
	MaxExclusive       string   `json:"maxExclusive"`
	RIDPrefix          int      `json:"ridPrefix"`
	ThroughputFraction float64  `json:"throughputFraction"`
	Status             string   `json:"status"`
	Parents            []string `json:"parents"`
	TS                 int64    `json:"_ts"`
	LSN                int64    `json:"lsn"`
}

// servePKRanges answers the partition key ranges feed. Its etag is the version of the
// container's partition list: a request naming the current one in If-None-Match gets 304,
// which is how the SDK knows it has read the whole feed.
func (rq *request) servePKRanges() error {
	c, err := rq.s.store.container(rq.rt.db, rq.rt.coll)
	if err != nil {
		return err
	}
	rq.charge = chargeMetadataRead
	etag := strconv.Quote(itoa(c.rangesVersion.Load()))
	rq.w.Header().Set(hdrETag, etag)
	if rq.notModified(etag) {
		rq.reply(http.StatusNotModified, nil)
		return nil
	}
	parts := c.partitions()
	docs := make([][]byte, len(parts))
	ts := c.meta.Load().ts
	for i, p := range parts {
		p.mu.RLock()
		lsn := p.lsn
		p.mu.RUnlock()
		parents := p.parents
		if parents == nil {
			parents = []string{}
		}
		docs[i], _ = json.Marshal(pkRange{
			ID: p.rangeID, RID: c.rid, Self: c.self() + "pkranges/" + p.rangeID + "/",
			ETag: etag, MinInclusive: p.min, MaxExclusive: p.max, RIDPrefix: i,
			ThroughputFraction: 1 / float64(len(parts)), Status: "online", Parents: parents,
			TS: ts, LSN: lsn,
		})
	}
	rq.w.Header().Set(hdrItemCount, strconv.Itoa(len(docs)))
	rq.reply(http.StatusOK, feedBody(c.rid, "PartitionKeyRanges", docs))
	return nil
}
