package throughput

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestOfferReadsWhileSplitting reads the offer and scrapes metrics while splits add and
// retire partitions; run with -race.
func TestOfferReadsWhileSplitting(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400))
	target := Target{"db", "c"}
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			ids := []string{fmt.Sprint(2 * i), fmt.Sprint(2*i + 1)}
			if err := e.SetRanges("db", "c", ids, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Error(err) // not require: FailNow must not run outside the test goroutine
				return
			}
		}
	})
	for range 200 {
		_, err := e.Offer(target)
		require.NoError(t, err)
		scrape(t, e, t0)
	}
	wg.Wait()
}
