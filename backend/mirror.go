package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/store"
)

// Mirror is a second Cosmos DB account (normally in another region) that keeps a copy of
// every tenant's configuration: the tenant document and its sensors' token hashes. If the
// primary account is lost, a backend started against a new, empty account restores every
// tenant from the mirror, and sensors keep working with the tokens they have.
type Mirror struct {
	Endpoint   string
	Key        string                 // exactly one of Key and Credential
	Credential azcore.TokenCredential // Microsoft Entra ID instead of a key
}

// mirrorThroughput is what each mirrored configuration container gets: it holds < 1,000
// small documents.
var mirrorThroughput = store.Throughput{Mode: store.ModeManual, RU: 400}

// newMirrorClient creates the mirror's client; nil when no mirror is configured.
func (b *Backend) newMirrorClient() (*azcosmos.Client, error) {
	m := b.cfg.Mirror
	if m == nil {
		return nil, nil
	}
	opts := &azcosmos.ClientOptions{}
	opts.Transport = b.cfg.Transport
	opts.Telemetry.Disabled = true
	installTryTimeout(opts, b.cfg.RequestTimeout)
	if m.Credential != nil {
		return azcosmos.NewClient(m.Endpoint, m.Credential, opts)
	}
	cred, err := azcosmos.NewKeyCredential(m.Key)
	if err != nil {
		return nil, fmt.Errorf("backend: Mirror.Key: %w", err)
	}
	return azcosmos.NewClientWithKey(m.Endpoint, cred, opts)
}

// mirrorDocs copies the tenant's configuration documents to the mirror account.
func (b *Backend) mirrorDocs(ctx context.Context, database string, docs map[string][]any) error {
	if b.mirror == nil {
		return nil
	}
	if err := b.createMirrorDatabase(ctx, database); err != nil {
		return err
	}
	cc, err := b.mirror.NewContainer(database, store.SystemEntity)
	if err != nil {
		return err
	}
	for pk, list := range docs {
		for _, doc := range list {
			if err := upsertJSON(ctx, cc, pk, doc); err != nil {
				return fmt.Errorf("mirror %s: %w", database, err)
			}
		}
	}
	return nil
}

func (b *Backend) createMirrorDatabase(ctx context.Context, database string) error {
	_, err := b.mirror.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: database}, nil)
	if err != nil && store.StatusCode(err) != http.StatusConflict {
		return fmt.Errorf("mirror database %q: %w", database, err)
	}
	db, err := b.mirror.NewDatabase(database)
	if err != nil {
		return err
	}
	tp := azcosmos.NewManualThroughputProperties(mirrorThroughput.RU)
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: store.SystemEntity,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/kind"}, Version: 2}},
		&azcosmos.CreateContainerOptions{ThroughputProperties: &tp})
	if err != nil && store.StatusCode(err) != http.StatusConflict {
		return fmt.Errorf("mirror container %s/%s: %w", database, store.SystemEntity, err)
	}
	return nil
}

// restoreFromMirror onboards again, in the primary account, every tenant the mirror knows
// and the primary does not, with the sensors' token hashes as they were.
func (b *Backend) restoreFromMirror(ctx context.Context) error {
	if b.mirror == nil {
		return nil
	}
	dbs, err := store.ListDatabases(ctx, b.mirror)
	if err != nil {
		return fmt.Errorf("restore from mirror: %w", err)
	}
	for _, db := range dbs {
		if !strings.HasPrefix(db, b.cfg.DatabasePrefix) || b.knowsDatabase(db) {
			continue
		}
		if err := b.restoreTenant(ctx, db); err != nil {
			return fmt.Errorf("restore from mirror: %w", err)
		}
	}
	return nil
}

func (b *Backend) knowsDatabase(db string) bool {
	for _, t := range b.tenantList() {
		if t.database == db {
			return true
		}
	}
	return false
}

// restoreTenant copies one tenant's configuration from the mirror into a freshly created
// database in the primary account, then loads it.
func (b *Backend) restoreTenant(ctx context.Context, db string) error {
	src, err := b.mirror.NewContainer(db, store.SystemEntity)
	if err != nil {
		return err
	}
	var docs []json.RawMessage
	if _, err := store.Scan(ctx, src, "", nil, func(raw []byte) error {
		docs = append(docs, append(json.RawMessage(nil), raw...))
		return nil
	}); err != nil {
		return err
	}
	if err := store.CreateTenant(ctx, b.client(), db, b.cfg.throughput()); err != nil {
		return err
	}
	dst := b.nodes[0].container(db, store.SystemEntity)
	for _, raw := range docs {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return fmt.Errorf("mirror document in %s: %w", db, err)
		}
		if _, err := dst.UpsertItem(ctx, azcosmos.NewPartitionKeyString(head.Kind), stripSystem(raw), nil); err != nil {
			return fmt.Errorf("restore %s: %w", db, err)
		}
	}
	b.log.Info("tenant restored from mirror", "database", db, "documents", len(docs))
	return b.loadTenant(ctx, db)
}

// stripSystem drops the Cosmos DB system properties (_rid, _etag, ...) of a read document.
func stripSystem(raw []byte) []byte {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	for k := range m {
		if strings.HasPrefix(k, "_") {
			delete(m, k)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}

// deleteMirror deletes the tenant's mirrored configuration.
func (b *Backend) deleteMirror(ctx context.Context, database string) error {
	if b.mirror == nil {
		return nil
	}
	return store.DeleteTenant(ctx, b.mirror, database)
}
