package sim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
	"github.com/stampede-load/stampede/sim/sink"
)

func testConfig() Config {
	return Config{
		Seed:     11,
		Duration: 3 * time.Second,
		Clock:    pace.Clock{Compression: 3600},
		Tenants: []TenantSpec{
			{Org: org.Spec{Tenant: "t1", Users: 400, Sensors: 3}, Rate: 900,
				Attacks: []attack.Spec{{Kind: attack.BruteForce, At: time.Second},
					{Kind: attack.Kerberoasting, At: 2 * time.Second, For: time.Second}}},
			{Org: org.Spec{Tenant: "t2", Users: 50, Sensors: 2}, Rate: 300,
				Profile: ProfileDiurnal,
				Attacks: []attack.Spec{{Kind: attack.LateralMovement, At: 0}}},
		},
	}
}

func record(t *testing.T, cfg Config) ([]byte, RecordTotals) {
	t.Helper()
	var buf bytes.Buffer
	totals, err := Record(t.Context(), cfg, &buf)
	require.NoError(t, err)
	return buf.Bytes(), totals
}

func TestRecordIsReproducible(t *testing.T) {
	a, ta := record(t, testConfig())
	b, _ := record(t, testConfig())
	require.Equal(t, a, b)
	require.Equal(t, int64(bytes.Count(a, []byte("\n"))), ta.Events)
	require.Len(t, ta.Attacks, 3)
	attackEvents := 0
	for _, a := range ta.Attacks {
		require.Less(t, a.EndOffset, 3*time.Second, "%s truncated to the run", a.ID)
		attackEvents += a.Events
	}
	// Brute force is cut at the end of the run: 2 of its 10 seconds.
	require.Equal(t, 24, ta.Attacks[0].Events)
	// 1200 events/s for 3 s, plus the attacks' events.
	require.InDelta(t, 3600+attackEvents, ta.Events, 40)

	other := testConfig()
	other.Seed = 12
	c, _ := record(t, other)
	require.NotEqual(t, a, c)
}

// linesBySensor splits a recording into each sensor's lines, checking every line decodes
// and validates.
func linesBySensor(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var d api.Decoder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		tenant, sensor, e, err := d.DecodeRecord(sc.Bytes())
		require.NoError(t, err, "line %q", sc.Text())
		require.NoError(t, e.Validate(), "line %q", sc.Text())
		key := tenant + "/" + sensor
		out[key] = append(out[key], sc.Text())
	}
	require.NoError(t, sc.Err())
	return out
}

func TestShardsTogetherGiveTheUnshardedStream(t *testing.T) {
	whole, wholeTotals := record(t, testConfig())
	want := linesBySensor(t, whole)
	require.Len(t, want, 5)

	got := map[string][]string{}
	var attacks []attack.Attack
	var events int64
	for shard := range 3 {
		cfg := testConfig()
		cfg.Shard, cfg.Shards = shard, 3
		data, totals := record(t, cfg)
		events += totals.Events
		attacks = append(attacks, totals.Attacks...)
		for sensor, lines := range linesBySensor(t, data) {
			require.NotContains(t, got, sensor, "sensor %s in two shards", sensor)
			got[sensor] = lines
		}
	}
	require.Equal(t, want, got)
	require.Equal(t, wholeTotals.Events, events)
	require.ElementsMatch(t, wholeTotals.Attacks, attacks)
}

func TestRecordInjectsAttacksWithTruth(t *testing.T) {
	data, totals := record(t, testConfig())
	lines := linesBySensor(t, data)
	for _, a := range totals.Attacks {
		require.NotEmpty(t, lines[a.Tenant+"/"+a.Sensor])
		require.False(t, a.End.Before(a.Start))
	}
	rc4 := bytes.Count(data, []byte(`"enc":"rc4"`))
	require.Equal(t, totals.Attacks[1].Events, rc4, "kerberoasting events in the recording")
}

// TestLiveRunSendsTheRecordedStream runs the fleet in a synctest bubble (fake time) against
// a recorder and checks that each sensor sent exactly its recorded stream, on schedule.
func TestLiveRunSendsTheRecordedStream(t *testing.T) {
	want, _ := record(t, testConfig())
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		rec := sink.NewRecorder(&buf)
		var seconds []Second
		cfg := testConfig()
		cfg.OnSecond = func(s Second) { seconds = append(seconds, s) }
		f, err := New(cfg, rec)
		require.NoError(t, err)
		totals, err := f.Run(t.Context())
		require.NoError(t, err)
		require.NoError(t, rec.Flush())

		require.Equal(t, linesBySensor(t, want), linesBySensor(t, buf.Bytes()))
		require.Equal(t, totals.Generated, totals.Acked)
		require.Zero(t, totals.Dropped+totals.Failed+totals.Rejected+totals.Unsent)
		require.Equal(t, time.Duration(0), totals.LagMax, "fake time has no lag")
		require.Zero(t, totals.SaturatedSeconds)
		// Three seconds of generation, perhaps one more in which the last acks came.
		require.GreaterOrEqual(t, len(seconds), 3)
		require.LessOrEqual(t, len(seconds), 4)
		require.Equal(t, 3*time.Second, seconds[2].Elapsed)
		require.Equal(t, 3*time.Second, totals.Elapsed)
		var generated, acked int64
		for i, s := range seconds {
			generated += s.Generated
			acked += s.Acked
			if i > 0 {
				require.GreaterOrEqual(t, s.Elapsed, seconds[i-1].Elapsed)
			}
		}
		require.Equal(t, totals.Generated, generated)
		require.Equal(t, totals.Acked, acked)
		require.InDelta(t, 1200, float64(seconds[1].Generated), 150)
	})
}

// scriptedSink answers each batch id from a script of statuses, then 200.
type scriptedSink struct {
	mu       sync.Mutex
	script   []int
	attempts map[string]int
	block    bool
}

func (s *scriptedSink) Send(ctx context.Context, b *sink.Batch) (sink.Result, error) {
	if s.block {
		<-ctx.Done()
		return sink.Result{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.attempts == nil {
		s.attempts = map[string]int{}
	}
	// Batch ids are unique per tenant, not across tenants.
	key := b.Tenant + "/" + b.ID
	n := s.attempts[key]
	s.attempts[key]++
	if n < len(s.script) {
		if s.script[n] == 0 {
			return sink.Result{}, errors.New("connection refused")
		}
		return sink.Result{Status: s.script[n], RetryAfter: 50 * time.Millisecond}, nil
	}
	return sink.Result{Status: 200}, nil
}

func TestDeliveryOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		sink   *scriptedSink
		mutate func(*Config)
		check  func(t *testing.T, tot Totals, s *scriptedSink)
	}{
		{"retried with the same id", &scriptedSink{script: []int{503, 0, 429}}, nil,
			func(t *testing.T, tot Totals, s *scriptedSink) {
				require.Equal(t, tot.Generated, tot.Acked)
				require.Equal(t, 3*tot.Batches, tot.Retries)
				require.Equal(t, tot.Batches, tot.TransportErrors)
				require.Equal(t, tot.Batches, tot.Statuses[503])
				for id, n := range s.attempts {
					require.Equal(t, 4, n, "batch %s", id)
				}
			}},
		{"rejected without retry", &scriptedSink{script: []int{400}}, nil,
			func(t *testing.T, tot Totals, s *scriptedSink) {
				require.Equal(t, tot.Generated, tot.Rejected)
				require.Zero(t, tot.Retries)
			}},
		{"out of attempts", &scriptedSink{script: []int{503, 503, 503}},
			func(c *Config) { c.MaxAttempts = 2 },
			func(t *testing.T, tot Totals, s *scriptedSink) {
				require.Equal(t, tot.Generated, tot.Failed)
				require.Equal(t, int64(len(s.attempts)), tot.Retries)
			}},
		{"overflow counted, drain bounded", &scriptedSink{block: true},
			func(c *Config) { c.QueueBatches, c.BatchSize, c.Drain = 1, 50, 2*time.Second },
			func(t *testing.T, tot Totals, s *scriptedSink) {
				require.Positive(t, tot.Dropped)
				require.Positive(t, tot.Unsent)
				require.Zero(t, tot.Acked)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := testConfig()
				if tt.mutate != nil {
					tt.mutate(&cfg)
				}
				f, err := New(cfg, tt.sink)
				require.NoError(t, err)
				tot, err := f.Run(t.Context())
				require.NoError(t, err)
				require.Positive(t, tot.Generated)
				require.Equal(t, tot.Generated,
					tot.Acked+tot.Dropped+tot.Rejected+tot.Failed+tot.Unsent, "conservation")
				tt.check(t, tot, tt.sink)
				_, err = f.Run(t.Context())
				require.ErrorIs(t, err, ErrAlreadyRun)
			})
		})
	}
}

func TestCancelStopsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := testConfig()
		cfg.Duration = time.Hour
		f, err := New(cfg, &sink.Discard{})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		tot, err := f.Run(ctx)
		require.NoError(t, err)
		require.InDelta(t, 2400, float64(tot.Generated), 200)
		require.Equal(t, tot.Generated, tot.Acked+tot.Unsent)
	})
}

func TestConfigValidate(t *testing.T) {
	cfg := Config{
		Tenants: []TenantSpec{
			{Org: org.Spec{Tenant: "a", Users: 10}, Rate: 0, Profile: "wavy"},
			{Org: org.Spec{Tenant: "a", Users: 0}, Rate: 1,
				Attacks: []attack.Spec{{Kind: "phish"}}},
		},
		Shard: 3, Shards: 2, BatchSize: 20_000, InFlight: 100,
	}
	_, err := New(cfg, &sink.Discard{})
	require.Error(t, err)
	for _, want := range []string{"rate: want events per second in (0, 1e+07]", `profile "wavy"`,
		`duplicate tenant "a"`, "users: want", `attack kind "phish"`, "duration: want > 0",
		"shard 3/2", "batch size", "in flight"} {
		require.ErrorContains(t, err, want)
	}
	_, err = New(testConfig(), nil)
	require.ErrorContains(t, err, "nil sink")
}

func TestMergeTotalsOfShards(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		run := func(shard, shards int) Totals {
			cfg := testConfig()
			cfg.Shard, cfg.Shards = shard, shards
			f, err := New(cfg, &sink.Discard{})
			require.NoError(t, err)
			tot, err := f.Run(t.Context())
			require.NoError(t, err)
			return tot
		}
		whole := run(0, 1)
		merged, err := MergeTotals(run(0, 2), run(1, 2))
		require.NoError(t, err)
		require.Equal(t, whole.Generated, merged.Generated)
		require.Equal(t, whole.Acked, merged.Acked)
		require.Equal(t, whole.Sensors, merged.Sensors)
		require.Equal(t, whole.Statuses, merged.Statuses)
		require.Equal(t, whole.Tenants, merged.Tenants)
		require.Len(t, whole.Tenants, 2)
		sum := int64(0)
		for _, tt := range whole.Tenants {
			require.Equal(t, tt.Generated, tt.Acked)
			sum += tt.Generated
		}
		require.Equal(t, whole.Generated, sum)
		require.ElementsMatch(t, whole.Attacks, merged.Attacks)
		require.Equal(t, whole.Rate, merged.Rate)
		wh, err := whole.LagHistogram()
		require.NoError(t, err)
		mh, err := merged.LagHistogram()
		require.NoError(t, err)
		require.Equal(t, wh.TotalCount(), mh.TotalCount())
		require.Equal(t, whole.Generated, mh.TotalCount(), "one lag sample per event")
		_, err = MergeTotals(Totals{Lag: []byte("junk")})
		require.ErrorContains(t, err, "merge totals 0")
	})
}

func TestConfigBounds(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"huge rate", func(c *Config) { c.Tenants[0].Rate = 1e12 }, "rate: want"},
		{"NaN rate", func(c *Config) { c.Tenants[0].Rate = math.NaN() }, "rate: want"},
		{"infinite compression", func(c *Config) { c.Clock.Compression = math.Inf(1) },
			"clock compression"},
		{"negative compression", func(c *Config) { c.Clock.Compression = -1 },
			"clock compression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			tt.mutate(&cfg)
			_, err := New(cfg, &sink.Discard{})
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// TestEverySensorHasTraffic checks that domain controllers without homed users still
// authenticate computers and service accounts, and share the tenant's rate.
func TestEverySensorHasTraffic(t *testing.T) {
	cfg := Config{Seed: 3, Duration: 2 * time.Second, Clock: pace.Clock{Compression: 60},
		Tenants: []TenantSpec{{Org: org.Spec{Tenant: "t1", Users: 4, Sensors: 10}, Rate: 2000}}}
	data, totals := record(t, cfg)
	require.Equal(t, 10, totals.Sensors)
	o, err := org.New(cfg.Seed, cfg.Tenants[0].Org)
	require.NoError(t, err)
	users := map[string]bool{}
	for _, u := range o.Users {
		users[u.Name] = !u.Service
	}
	var d api.Decoder
	perSensor := map[string]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		_, sensor, e, err := d.DecodeRecord(line)
		require.NoError(t, err)
		perSensor[sensor]++
		dc := slices.Index(o.SensorIDs, sensor)
		if len(o.UsersOf(dc)) > 0 || e.Kind.IsDirectorySync() {
			continue
		}
		if e.Source.Type == api.EntityUser {
			require.False(t, users[e.Source.Name], "%s: a person acts on %s", e.Source.Name, sensor)
		}
	}
	require.Len(t, perSensor, 10)
	for _, sensor := range o.SensorIDs[len(o.Users):] {
		// A user-less DC gets a fifth of the base load: 2000/s * 2 s * 0.2/(4+0.2*10) = 133.
		require.InDelta(t, 133, perSensor[sensor], 15, sensor)
	}
}
