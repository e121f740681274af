package throughput

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scrape serves e's metrics handler once and returns the exposition text.
func scrape(t *testing.T, e *Engine, now time.Time) string {
	t.Helper()
	rec := httptest.NewRecorder()
	e.Handler(func() time.Time { return now }).ServeHTTP(rec,
		httptest.NewRequest("GET", "/metrics", nil))
	require.Equal(t, 200, rec.Code)
	body, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(body)
}

func TestHandler_ExposesAccountingAndBilling(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Manual(400), "0", "1")
	now := t0.Add(500 * time.Millisecond)
	for range 30 {
		serve(e, ref("c", "0"), now, 10)
	}
	e.ReportStorage(ref("c", "1"), now, 2048)
	_, err := e.ReplaceOffer(Target{"db", "c"}, Manual(30_000), now)
	require.NoError(t, err)

	text := scrape(t, e, now)
	for _, want := range []string{
		`stampede_emulator_throttled_requests_total{container="c",database="db",partition="0"} 10`,
		`stampede_emulator_throttled_requests_total{container="c",database="db",partition="1"} 0`,
		`stampede_emulator_requests_total{container="c",database="db",partition="0"} 30`,
		`stampede_emulator_request_units_consumed_total{container="c",database="db",partition="0"} 200`,
		`stampede_emulator_storage_bytes{container="c",database="db",partition="1"} 2048`,
		`stampede_emulator_partition_budget_request_units_per_second{container="c",database="db",partition="1"} 200`,
		`stampede_emulator_partitions{container="c",database="db"} 2`,
		`stampede_emulator_offer_replace_pending{container="c",database="db"} 1`,
		`stampede_emulator_provisioned_request_units_per_second{container="c",database="db"} 400`,
		`stampede_emulator_max_request_units_per_second{container="c",database="db"} 400`,
		`stampede_emulator_billed_request_unit_hours{container="c",database="db"} 400`,
		`stampede_emulator_throughput_cost{container="c",database="db"} 0.032`,
	} {
		require.Contains(t, text, want+"\n")
	}
	require.NotContains(t, text, "# HELP go_", "only the engine's metrics")
}

func TestHandler_AutoscaleShowsScaledThroughput(t *testing.T) {
	e := newTestEngine(t, Config{})
	createContainer(t, e, "c", Autoscale(4_000))
	for range 250 {
		serve(e, ref("c", "0"), t0, 10)
	}
	text := scrape(t, e, t0.Add(time.Second+time.Millisecond))
	require.True(t, strings.Contains(text,
		`stampede_emulator_provisioned_request_units_per_second{container="c",database="db"} 2500`+"\n"),
		"the last whole second called for 2,500 RU/s:\n%s", text)
}
