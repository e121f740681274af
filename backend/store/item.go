package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// MaxConflicts bounds how often [Mutate] re-reads after losing a race (412 or 409).
const MaxConflicts = 16

// ErrTooManyConflicts is returned when a document kept changing under [Mutate].
var ErrTooManyConflicts = errors.New("store: document changed concurrently too often")

// Item is a stored document body with its ETag.
type Item struct {
	Body []byte
	ETag azcore.ETag
}

// Outcome counts what one [Mutate] did.
type Outcome struct {
	Reads     int     // point reads made
	Writes    int     // successful creates or replaces (0 or 1)
	Conflicts int     // 412/409 answers that forced a re-read
	Charge    float64 // request units charged, all calls included
}

// Change computes a new body from the current one (nil when the document does not exist).
// Returning a nil body means there is nothing to write. It may be called several times.
type Change func(current []byte) ([]byte, error)

// Mutate reads (or takes from cached) the document id, lets change compute the new body and
// writes it back with If-Match on the ETag read, or creates it if absent. When another writer
// got there first (412, or 409 on create) it re-reads and calls change again, up to
// MaxConflicts times. cached may be nil (read first); a stale cache costs one conflict. A
// cached Item with a nil Body means the caller believes the document absent: it is created
// without a read, and a 409 falls back to reading.
func Mutate(ctx context.Context, cc *azcosmos.ContainerClient, pk azcosmos.PartitionKey, id string,
	cached *Item, change Change) (Item, Outcome, error) {
	var out Outcome
	cur := cached
	for range MaxConflicts {
		if cur == nil {
			item, charge, err := read(ctx, cc, pk, id)
			out.Reads++
			out.Charge += charge
			if err != nil {
				return Item{}, out, err
			}
			cur = &item
		}
		body, err := change(cur.Body)
		if err != nil || body == nil {
			return *cur, out, err
		}
		etag, charge, err := write(ctx, cc, pk, id, cur, body)
		out.Charge += charge
		switch code := StatusCode(err); {
		case err == nil:
			out.Writes++
			return Item{Body: body, ETag: etag}, out, nil
		case code == http.StatusPreconditionFailed || code == http.StatusConflict ||
			(code == http.StatusNotFound && cur.Body != nil):
			out.Conflicts++
			cur = nil
		default:
			return Item{}, out, err
		}
	}
	return Item{}, out, fmt.Errorf("mutate %s: %w", id, ErrTooManyConflicts)
}

// read returns the document, or an Item with a nil Body if it does not exist.
func read(ctx context.Context, cc *azcosmos.ContainerClient, pk azcosmos.PartitionKey,
	id string,
) (Item, float64, error) {
	resp, err := cc.ReadItem(ctx, pk, id, nil)
	if StatusCode(err) == http.StatusNotFound {
		return Item{}, chargeOf(err), nil
	}
	if err != nil {
		return Item{}, 0, fmt.Errorf("read %s/%s: %w", cc.ID(), id, err)
	}
	return Item{Body: resp.Value, ETag: resp.ETag}, float64(resp.RequestCharge), nil
}

func write(ctx context.Context, cc *azcosmos.ContainerClient, pk azcosmos.PartitionKey, id string,
	cur *Item, body []byte) (azcore.ETag, float64, error) {
	var resp azcosmos.ItemResponse
	var err error
	if cur.Body == nil {
		resp, err = cc.CreateItem(ctx, pk, body, nil)
	} else {
		etag := cur.ETag
		resp, err = cc.ReplaceItem(ctx, pk, id, body, &azcosmos.ItemOptions{IfMatchEtag: &etag})
	}
	if err != nil {
		return "", chargeOf(err), fmt.Errorf("write %s/%s: %w", cc.ID(), id, err)
	}
	return resp.ETag, float64(resp.RequestCharge), nil
}

// chargeOf reads the request charge of a failed call.
func chargeOf(err error) float64 {
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.RawResponse == nil {
		return 0
	}
	var v float64
	_, _ = fmt.Sscan(re.RawResponse.Header.Get("x-ms-request-charge"), &v)
	return v
}

// Scan calls fn for every document of a container, across partitions, in pages. query may
// be "" for all documents.
func Scan(ctx context.Context, cc *azcosmos.ContainerClient, query string,
	params []azcosmos.QueryParameter, fn func(raw []byte) error) (float64, error) {
	if query == "" {
		query = "SELECT * FROM c"
	}
	pager := cc.NewQueryItemsPager(query, azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{QueryParameters: params})
	var charge float64
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return charge, fmt.Errorf("scan %s: %w", cc.ID(), err)
		}
		charge += float64(page.RequestCharge)
		for _, raw := range page.Items {
			if err := fn(raw); err != nil {
				return charge, err
			}
		}
	}
	return charge, nil
}

// Usage adds up request charges per container. Safe for concurrent use.
type Usage struct {
	mu      sync.Mutex
	charged map[[2]string]float64
}

// Add charges ru request units to database/container.
func (u *Usage) Add(database, container string, ru float64) {
	if ru == 0 {
		return
	}
	u.mu.Lock()
	if u.charged == nil {
		u.charged = map[[2]string]float64{}
	}
	u.charged[[2]string{database, container}] += ru
	u.mu.Unlock()
}

// Take returns the charges since the previous Take, keyed by {database, container}.
func (u *Usage) Take() map[[2]string]float64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.charged
	u.charged = nil
	return out
}
