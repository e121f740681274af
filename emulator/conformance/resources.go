package conformance

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

func init() {
	register("Database/Lifecycle", testDatabaseLifecycle)
	register("Database/Query", testDatabaseQuery)
	register("Container/Lifecycle", testContainerLifecycle)
	register("Container/HierarchicalKeyAndPolicies", testContainerPolicies)
	register("Container/Query", testContainerQuery)
	register("Container/UniqueKeys", testUniqueKeys)
	register("Auth/WrongKeyIs401", testWrongKey)
}

func testDatabaseLifecycle(t *testing.T, e *env) {
	ctx := testContext(t)
	_, err := e.client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: e.dbName}, nil)
	requireStatus(t, err, http.StatusConflict)

	read, err := e.db.Read(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, e.dbName, read.DatabaseProperties.ID)
	require.NotEmpty(t, read.DatabaseProperties.ResourceID)
	require.NotEmpty(t, read.ETag)
	require.NotEmpty(t, read.ActivityID)

	etag := read.ETag
	notModified, err := e.db.Read(ctx, &azcosmos.ReadDatabaseOptions{IfNoneMatchEtag: &etag})
	require.NoError(t, err)
	require.Equal(t, http.StatusNotModified, notModified.RawResponse.StatusCode)

	name := "tmp-" + uniqueSuffix()
	created, err := e.client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: name}, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.RawResponse.StatusCode)
	tmp, err := e.client.NewDatabase(name)
	require.NoError(t, err)
	deleted, err := tmp.Delete(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, deleted.RawResponse.StatusCode)
	_, err = tmp.Read(ctx, nil)
	requireStatus(t, err, http.StatusNotFound)
}

func testDatabaseQuery(t *testing.T, e *env) {
	ctx := testContext(t)
	pager := e.client.NewQueryDatabasesPager("SELECT * FROM dbs d WHERE d.id = @id",
		&azcosmos.QueryDatabasesOptions{QueryParameters: []azcosmos.QueryParameter{
			{Name: "@id", Value: e.dbName},
		}})
	var ids []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		require.NoError(t, err)
		for _, d := range page.Databases {
			ids = append(ids, d.ID)
		}
	}
	require.Equal(t, []string{e.dbName}, ids)
}

func testContainerLifecycle(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{ID: "lifecycle"})
	_, err := e.db.CreateContainer(ctx, azcosmos.ContainerProperties{
		ID:                     "lifecycle",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}},
	}, nil)
	requireStatus(t, err, http.StatusConflict)

	read, err := c.Read(ctx, nil)
	require.NoError(t, err)
	props := read.ContainerProperties
	require.Equal(t, "lifecycle", props.ID)
	require.Equal(t, []string{"/pk"}, props.PartitionKeyDefinition.Paths)
	require.NotEmpty(t, props.ResourceID)
	require.NotNil(t, props.IndexingPolicy, "the service returns its default indexing policy")

	ttl := int32(3600)
	props.DefaultTimeToLive = &ttl
	replaced, err := c.Replace(ctx, *props, nil)
	require.NoError(t, err)
	require.Equal(t, &ttl, replaced.ContainerProperties.DefaultTimeToLive)

	_, err = c.Delete(ctx, nil)
	require.NoError(t, err)
	_, err = c.Read(ctx, nil)
	requireStatus(t, err, http.StatusNotFound)
	_, err = c.CreateItem(ctx, azcosmos.NewPartitionKeyString("a"), []byte(`{"id":"1","pk":"a"}`), nil)
	requireStatus(t, err, http.StatusNotFound)
}

func testContainerPolicies(t *testing.T, e *env) {
	ctx := testContext(t)
	ttl := int32(-1)
	c := e.container(t, azcosmos.ContainerProperties{
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{
			Paths: []string{"/tenant", "/user"}, Kind: azcosmos.PartitionKeyKindMultiHash,
			Version: 2,
		},
		DefaultTimeToLive: &ttl,
		IndexingPolicy: &azcosmos.IndexingPolicy{
			Automatic: true, IndexingMode: azcosmos.IndexingModeConsistent,
			IncludedPaths: []azcosmos.IncludedPath{{Path: "/*"}},
			ExcludedPaths: []azcosmos.ExcludedPath{{Path: "/blob/?"}},
		},
		UniqueKeyPolicy: &azcosmos.UniqueKeyPolicy{
			UniqueKeys: []azcosmos.UniqueKey{{Paths: []string{"/email"}}},
		},
	})
	read, err := c.Read(ctx, nil)
	require.NoError(t, err)
	p := read.ContainerProperties
	require.Equal(t, []string{"/tenant", "/user"}, p.PartitionKeyDefinition.Paths)
	require.Equal(t, azcosmos.PartitionKeyKindMultiHash, p.PartitionKeyDefinition.Kind)
	require.Equal(t, &ttl, p.DefaultTimeToLive)
	require.Equal(t, []string{"/email"}, p.UniqueKeyPolicy.UniqueKeys[0].Paths)
	require.Equal(t, "/blob/?", p.IndexingPolicy.ExcludedPaths[0].Path)

	pk := azcosmos.NewPartitionKeyString("t1").AppendString("u1")
	_, err = c.CreateItem(ctx, pk, []byte(`{"id":"1","tenant":"t1","user":"u1"}`), nil)
	require.NoError(t, err)
	_, err = c.ReadItem(ctx, pk, "1", nil)
	require.NoError(t, err)
	_, err = c.ReadItem(ctx, azcosmos.NewPartitionKeyString("t1").AppendString("u2"), "1", nil)
	requireStatus(t, err, http.StatusNotFound)
}

func testContainerQuery(t *testing.T, e *env) {
	ctx := testContext(t)
	e.container(t, azcosmos.ContainerProperties{ID: "qa"})
	e.container(t, azcosmos.ContainerProperties{ID: "qb"})
	pager := e.db.NewQueryContainersPager("SELECT * FROM c", nil)
	var ids []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		require.NoError(t, err)
		for _, c := range page.Containers {
			ids = append(ids, c.ID)
		}
	}
	require.ElementsMatch(t, []string{"qa", "qb"}, ids)
}

func testWrongKey(t *testing.T, e *env) {
	wrong := "dGhpcyBpcyBub3QgdGhlIGtleSBvZiB0aGUgYWNjb3VudCBhdCBhbGwgISEhISE="
	client := newClient(t, e.target, wrong)
	db, err := client.NewDatabase(e.dbName)
	require.NoError(t, err)
	_, err = db.Read(testContext(t), nil)
	requireStatus(t, err, http.StatusUnauthorized)
	var re *azcore.ResponseError
	require.ErrorAs(t, err, &re)
}

func testUniqueKeys(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{
		UniqueKeyPolicy: &azcosmos.UniqueKeyPolicy{UniqueKeys: []azcosmos.UniqueKey{
			{Paths: []string{"/email"}},
			{Paths: []string{"/name/first", "/name/last"}},
		}},
	})
	a, b := azcosmos.NewPartitionKeyString("a"), azcosmos.NewPartitionKeyString("b")
	create := func(pk azcosmos.PartitionKey, body string) error {
		_, err := c.CreateItem(ctx, pk, []byte(body), nil)
		return err
	}
	require.NoError(t, create(a, `{"id":"1","pk":"a","email":"x@y","name":{"first":"A","last":"L"}}`))
	requireStatus(t, create(a, `{"id":"2","pk":"a","email":"x@y"}`), http.StatusConflict)
	requireStatus(t, create(a, `{"id":"3","pk":"a","email":"z@y","name":{"first":"A","last":"L"}}`),
		http.StatusConflict)
	require.NoError(t, create(b, `{"id":"2","pk":"b","email":"x@y"}`), "unique per partition key")
	require.NoError(t, create(a, `{"id":"4","pk":"a","email":"w@y"}`), "a missing path is null")
	requireStatus(t, create(a, `{"id":"5","pk":"a","email":"v@y"}`), http.StatusConflict)

	_, err := c.ReplaceItem(ctx, a, "4", []byte(`{"id":"4","pk":"a","email":"x@y"}`), nil)
	requireStatus(t, err, http.StatusConflict)
	_, err = c.DeleteItem(ctx, a, "1", nil)
	require.NoError(t, err)
	_, err = c.ReplaceItem(ctx, a, "4", []byte(`{"id":"4","pk":"a","email":"x@y"}`), nil)
	require.NoError(t, err, "a deleted document frees its values")
}
