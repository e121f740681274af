package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/alertdoc"
	"github.com/stampede-load/stampede/backend/profile"
	"github.com/stampede-load/stampede/backend/store"
)

// MigrationStats reports migrations since the backend started.
type MigrationStats struct {
	OnTheFly     map[string]int64 // documents migrated when read for a write, per container
	Batch        map[string]int64 // documents migrated by the batch migrator, per container
	BatchRunning bool             // the batch migrator is running
	BatchDone    int              // generation the last completed batch run migrated to (0 none)
	BatchError   string           // last error of the batch migrator, "" if none
}

type migrationState struct {
	mu       sync.Mutex
	onTheFly map[string]int64
	batch    map[string]int64
	running  bool
	done     int
	lastErr  string
	wakeup   chan struct{}
}

func newMigrationState() *migrationState {
	return &migrationState{onTheFly: map[string]int64{}, batch: map[string]int64{},
		wakeup: make(chan struct{}, 1)}
}

func (m *migrationState) migratedOnTheFly(container string) {
	m.mu.Lock()
	m.onTheFly[container]++
	m.mu.Unlock()
}

func (m *migrationState) stats() MigrationStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MigrationStats{OnTheFly: maps.Clone(m.onTheFly), Batch: maps.Clone(m.batch),
		BatchRunning: m.running, BatchDone: m.done, BatchError: m.lastErr}
}

// migrationDoc is the SystemEntity checkpoint of a tenant's batch migration (partition key
// /kind); it survives restarts so an interrupted migration resumes.
type migrationDoc struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"`
	SchemaVersion int       `json:"schemaVersion"`
	Generation    int       `json:"generation"`
	State         string    `json:"state"` // "running" or "done"
	Migrated      int64     `json:"migrated"`
	Updated       time.Time `json:"updated"`
}

// versioned is a container whose documents carry schema versions the migrator upgrades.
type versioned struct {
	container string
	target    func(generation) int
	upgrade   func(raw []byte, to int) (out []byte, from int, err error)
}

var versionedContainers = []versioned{
	{store.UniqueEntityProfile, func(g generation) int { return g.Profile }, upgradeProfile},
	{store.Alert, func(g generation) int { return g.Alert }, upgradeAlert},
}

func upgradeProfile(raw []byte, to int) ([]byte, int, error) {
	d, from, err := profile.Decode(raw)
	if err != nil || from >= to {
		return nil, from, err
	}
	out, err := profile.Encode(d, to)
	return out, from, err
}

func upgradeAlert(raw []byte, to int) ([]byte, int, error) {
	d, from, err := alertdoc.Decode(raw)
	if err != nil || from >= to {
		return nil, from, err
	}
	out, err := alertdoc.Encode(d, to)
	return out, from, err
}

// Upgrade deploys schema generation gen while the backend runs: from now on every write uses
// gen's versions (documents read in an older version are migrated on the fly), and a
// background batch migrator upgrades every remaining document of every tenant. A checkpoint
// in each tenant's SystemEntity container makes the batch resume after a restart.
// Downgrades are refused.
func (b *Backend) Upgrade(ctx context.Context, gen int) error {
	cur := b.Generation()
	if gen < cur || gen > MaxGeneration {
		return fmt.Errorf("upgrade to generation %d: want %d..%d", gen, cur, MaxGeneration)
	}
	for _, t := range b.tenantList() {
		if err := b.writeCheckpoint(ctx, t, migrationDoc{Generation: gen, State: "running"}); err != nil {
			return fmt.Errorf("upgrade to generation %d: %w", gen, err)
		}
	}
	b.generation.Store(int64(gen))
	b.log.Info("schema upgrade", "from", cur, "to", gen)
	b.startBatchMigration()
	return nil
}

func (b *Backend) writeCheckpoint(ctx context.Context, t *tenant, doc migrationDoc) error {
	doc.ID, doc.Kind, doc.SchemaVersion, doc.Updated = "migration", "migration", 1, b.cfg.Now().UTC()
	return upsertJSON(ctx, b.nodes[0].container(t.database, store.SystemEntity), "migration", doc)
}

// resumeMigration restarts a batch migration a previous process left running.
func (b *Backend) resumeMigration() {
	ctx, cancel := context.WithTimeout(b.runCtx, 30*time.Second)
	defer cancel()
	resume := false
	for _, t := range b.tenantList() {
		cc := b.nodes[0].container(t.database, store.SystemEntity)
		resp, err := cc.ReadItem(ctx, azcosmos.NewPartitionKeyString("migration"), "migration", nil)
		if err != nil {
			continue
		}
		var doc migrationDoc
		if json.Unmarshal(resp.Value, &doc) != nil || doc.State != "running" {
			continue
		}
		if int64(doc.Generation) > b.generation.Load() && doc.Generation <= MaxGeneration {
			b.generation.Store(int64(doc.Generation))
		}
		resume = true
	}
	if resume {
		b.log.Info("resuming batch migration", "generation", b.Generation())
		b.startBatchMigration()
	}
}

func (b *Backend) startBatchMigration() {
	m := b.migration
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		select { // the running migrator makes one more pass for the newer generation
		case m.wakeup <- struct{}{}:
		default:
		}
		return
	}
	m.running = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.batchMigrate(b.runCtx)
	}()
}

// batchMigrate migrates all tenants until a pass completes with no newer upgrade pending.
func (b *Backend) batchMigrate(ctx context.Context) {
	m := b.migration
	for {
		gen := b.Generation()
		err := b.migratePass(ctx, gen)
		m.mu.Lock()
		if err != nil {
			m.lastErr = err.Error()
		} else {
			m.done, m.lastErr = gen, ""
		}
		select {
		case <-m.wakeup:
			m.mu.Unlock()
			continue
		default:
		}
		if err != nil && ctx.Err() == nil {
			m.mu.Unlock()
			if sleepCtx(ctx, time.Second) != nil {
				b.endMigration()
				return
			}
			continue
		}
		m.running = false
		m.mu.Unlock()
		return
	}
}

func (b *Backend) endMigration() {
	b.migration.mu.Lock()
	b.migration.running = false
	b.migration.mu.Unlock()
}

func (b *Backend) migratePass(ctx context.Context, gen int) error {
	var errs []error
	for _, t := range b.tenantList() {
		migrated, err := b.migrateTenant(ctx, t, gen)
		if err != nil {
			errs = append(errs, fmt.Errorf("migrate %s: %w", t.id, err))
			continue
		}
		err = b.writeCheckpoint(ctx, t, migrationDoc{Generation: gen, State: "done", Migrated: migrated})
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// migrateTenant upgrades every document of t older than gen's versions. Each document is
// rewritten with If-Match, so a live writer that got there first wins and the document is
// re-read (and then usually skipped as already migrated).
func (b *Backend) migrateTenant(ctx context.Context, t *tenant, gen int) (int64, error) {
	n := b.nodes[0]
	var migrated int64
	for _, vc := range versionedContainers {
		to := vc.target(generations[gen])
		cc := n.container(t.database, vc.container)
		ids, err := outdatedIDs(ctx, cc, to)
		if err != nil {
			return migrated, err
		}
		for _, id := range ids {
			did := false
			change := func(cur []byte) ([]byte, error) {
				did = false
				if cur == nil {
					return nil, nil // deleted meanwhile
				}
				out, _, err := vc.upgrade(cur, to)
				if err != nil {
					b.metrics.parseErrors.Inc()
				}
				did = out != nil
				return out, err
			}
			_, out, err := store.Mutate(ctx, cc, azcosmos.NewPartitionKeyString(id), id, nil, change)
			n.account(t.database, vc.container, out)
			if err != nil {
				return migrated, err
			}
			if did {
				migrated++
				b.metrics.migratedBatch.Inc()
				b.migration.mu.Lock()
				b.migration.batch[vc.container]++
				b.migration.mu.Unlock()
			}
		}
	}
	return migrated, nil
}

// outdatedIDs lists the ids of documents whose schemaVersion is below to. If the account
// cannot run the filtered query, it scans everything and filters here.
func outdatedIDs(ctx context.Context, cc *azcosmos.ContainerClient, to int) ([]string, error) {
	var ids []string
	collect := func(raw []byte) error {
		var head struct {
			ID            string `json:"id"`
			SchemaVersion *int   `json:"schemaVersion"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return fmt.Errorf("scan %s: %w", cc.ID(), err)
		}
		if head.SchemaVersion == nil || *head.SchemaVersion < to {
			ids = append(ids, head.ID)
		}
		return nil
	}
	_, err := store.Scan(ctx, cc, "SELECT c.id, c.schemaVersion FROM c WHERE c.schemaVersion < @v",
		[]azcosmos.QueryParameter{{Name: "@v", Value: to}}, collect)
	if store.StatusCode(err) == http.StatusBadRequest {
		ids = ids[:0]
		_, err = store.Scan(ctx, cc, "SELECT * FROM c", nil, collect)
	}
	return ids, err
}

// DocumentVersions counts the documents of each versioned container per schema version,
// summed over all tenants: the "documents per version over time" series of a run.
func (b *Backend) DocumentVersions(ctx context.Context) (map[string]map[int]int64, error) {
	out := map[string]map[int]int64{}
	n := b.nodes[0]
	for _, t := range b.tenantList() {
		for _, vc := range versionedContainers {
			counts := out[vc.container]
			if counts == nil {
				counts = map[int]int64{}
				out[vc.container] = counts
			}
			_, err := store.Scan(ctx, n.container(t.database, vc.container), "SELECT c.schemaVersion FROM c", nil,
				func(raw []byte) error {
					v, err := profile.Version(raw)
					if err != nil {
						return err
					}
					counts[v]++
					return nil
				})
			if err != nil {
				return nil, fmt.Errorf("document versions of %s: %w", t.id, err)
			}
		}
	}
	return out, nil
}
