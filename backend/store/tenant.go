package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
)

// Container names of a tenant database (docs/design.md, per tenant storage).
const (
	UniqueEntity        = "UniqueEntity"
	UniqueEntityProfile = "UniqueEntityProfile"
	SystemProfile       = "SystemProfile"
	SystemEntity        = "SystemEntity"
	Alert               = "Alert"
)

// ContainerSpec is one container of a tenant database.
type ContainerSpec struct {
	Name             string
	PartitionKeyPath string
	// IndexedPaths, when set, are the only paths indexed ("/*" is excluded). Every indexed
	// term costs request units on each write, and the backend reads these containers by id,
	// so it indexes only what its queries filter on. Nil indexes everything.
	IndexedPaths []string
}

// versionOnly indexes just the schema version, which the batch migrator filters on.
var versionOnly = []string{"/schemaVersion/?"}

// Containers lists the five containers every tenant database has.
var Containers = []ContainerSpec{
	{UniqueEntity, "/id", versionOnly},
	{UniqueEntityProfile, "/id", versionOnly},
	{SystemProfile, "/kind", versionOnly},
	{SystemEntity, "/kind", nil},
	{Alert, "/id", versionOnly},
}

// indexingPolicy returns the container's indexing policy, nil for the service default.
func (s ContainerSpec) indexingPolicy() *azcosmos.IndexingPolicy {
	if s.IndexedPaths == nil {
		return nil
	}
	p := &azcosmos.IndexingPolicy{Automatic: true, IndexingMode: azcosmos.IndexingModeConsistent,
		ExcludedPaths: []azcosmos.ExcludedPath{{Path: "/*"}}}
	for _, path := range s.IndexedPaths {
		p.IncludedPaths = append(p.IncludedPaths, azcosmos.IncludedPath{Path: path})
	}
	return p
}

// Throughput modes.
const (
	ModeManual    = "manual"
	ModeAutoscale = "autoscale"
)

// Throughput is how a container is provisioned: manual RU/s, or autoscale with a maximum.
type Throughput struct {
	Mode string // ModeManual or ModeAutoscale
	RU   int32  // manual RU/s, or the autoscale maximum RU/s
}

// Validate checks the mode and the RU/s against Cosmos DB's minimums and increments.
func (t Throughput) Validate() error {
	switch t.Mode {
	case ModeManual:
		if t.RU < 400 || t.RU%100 != 0 {
			return fmt.Errorf("throughput %d RU/s: manual needs at least 400 in steps of 100", t.RU)
		}
	case ModeAutoscale:
		if t.RU < 1000 || t.RU%1000 != 0 {
			return fmt.Errorf("throughput %d RU/s: autoscale maximum needs at least 1000 in steps of 1000", t.RU)
		}
	default:
		return fmt.Errorf("throughput mode %q: want %q or %q", t.Mode, ModeManual, ModeAutoscale)
	}
	return nil
}

func (t Throughput) properties() azcosmos.ThroughputProperties {
	if t.Mode == ModeAutoscale {
		return azcosmos.NewAutoscaleThroughputProperties(t.RU)
	}
	return azcosmos.NewManualThroughputProperties(t.RU)
}

// CreateTenant creates the tenant's database and its five containers, each with its own
// throughput tp. It is idempotent: what already exists is kept as it is.
func CreateTenant(ctx context.Context, client *azcosmos.Client, database string, tp Throughput) error {
	if err := tp.Validate(); err != nil {
		return err
	}
	_, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: database}, nil)
	if err != nil && StatusCode(err) != http.StatusConflict {
		return fmt.Errorf("create database %q: %w", database, err)
	}
	db, err := client.NewDatabase(database)
	if err != nil {
		return fmt.Errorf("database %q: %w", database, err)
	}
	for _, spec := range Containers {
		props := azcosmos.ContainerProperties{ID: spec.Name,
			PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{
				Paths: []string{spec.PartitionKeyPath}, Version: 2},
			IndexingPolicy: spec.indexingPolicy()}
		tpp := tp.properties()
		_, err := db.CreateContainer(ctx, props, &azcosmos.CreateContainerOptions{ThroughputProperties: &tpp})
		if err != nil && StatusCode(err) != http.StatusConflict {
			return fmt.Errorf("create container %s/%s: %w", database, spec.Name, err)
		}
	}
	return nil
}

// DeleteTenant deletes the tenant's database and everything in it. A missing database is not
// an error.
func DeleteTenant(ctx context.Context, client *azcosmos.Client, database string) error {
	db, err := client.NewDatabase(database)
	if err != nil {
		return fmt.Errorf("database %q: %w", database, err)
	}
	if _, err := db.Delete(ctx, nil); err != nil && StatusCode(err) != http.StatusNotFound {
		return fmt.Errorf("delete database %q: %w", database, err)
	}
	return nil
}

// ListDatabases returns the ids of all databases of the account.
func ListDatabases(ctx context.Context, client *azcosmos.Client) ([]string, error) {
	pager := client.NewQueryDatabasesPager("SELECT * FROM dbs", nil)
	var ids []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list databases: %w", err)
		}
		for _, db := range page.Databases {
			ids = append(ids, db.ID)
		}
	}
	return ids, nil
}

// StatusCode returns the HTTP status of a failed Cosmos DB call, or 0 when err carries none
// (a transport error, a cancelled context).
func StatusCode(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}
