package store

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator"
)

func newClient(t *testing.T) *azcosmos.Client {
	t.Helper()
	srv, err := emulator.Start(context.Background(), emulator.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
	require.NoError(t, err)
	return client
}

func TestCreateTenantIsIdempotentAndDeletes(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	tp := Throughput{Mode: ModeManual, RU: 400}
	require.NoError(t, CreateTenant(ctx, client, "t1", tp))
	require.NoError(t, CreateTenant(ctx, client, "t1", tp), "second onboarding keeps what exists")
	db, err := client.NewDatabase("t1")
	require.NoError(t, err)
	for _, spec := range Containers {
		cc, err := db.NewContainer(spec.Name)
		require.NoError(t, err)
		props, err := cc.Read(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, []string{spec.PartitionKeyPath}, props.ContainerProperties.PartitionKeyDefinition.Paths)
		if spec.IndexedPaths != nil {
			ip := props.ContainerProperties.IndexingPolicy
			require.NotNil(t, ip, spec.Name)
			require.Equal(t, []azcosmos.ExcludedPath{{Path: "/*"}}, ip.ExcludedPaths, spec.Name)
			require.Equal(t, []azcosmos.IncludedPath{{Path: "/schemaVersion/?"}}, ip.IncludedPaths, spec.Name)
		}
	}
	require.NoError(t, DeleteTenant(ctx, client, "t1"))
	require.NoError(t, DeleteTenant(ctx, client, "t1"), "deleting twice is fine")
	ids, err := ListDatabases(ctx, client)
	require.NoError(t, err)
	require.NotContains(t, ids, "t1")
}

// TestMutateLosesNoUpdate has writers with stale caches race on one counter: If-Match and
// re-read must make every increment land exactly once.
func TestMutateLosesNoUpdate(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	require.NoError(t, CreateTenant(ctx, client, "t1", Throughput{Mode: ModeManual, RU: 400}))
	cc, err := client.NewContainer("t1", UniqueEntityProfile)
	require.NoError(t, err)
	pk := azcosmos.NewPartitionKeyString("c")
	incr := func(cur []byte) ([]byte, error) {
		doc := struct {
			ID string `json:"id"`
			N  int    `json:"n"`
		}{ID: "c"}
		if cur != nil {
			if err := json.Unmarshal(cur, &doc); err != nil {
				return nil, err
			}
		}
		doc.N++
		return json.Marshal(doc)
	}
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cached *Item
			for range each {
				item, _, err := Mutate(ctx, cc, pk, "c", cached, incr)
				require.NoError(t, err)
				cached = &item
			}
		}()
	}
	wg.Wait()
	resp, err := cc.ReadItem(ctx, pk, "c", nil)
	require.NoError(t, err)
	var got struct{ N int }
	require.NoError(t, json.Unmarshal(resp.Value, &got))
	require.Equal(t, writers*each, got.N)
}

func TestThroughputValidate(t *testing.T) {
	for _, bad := range []Throughput{{ModeManual, 300}, {ModeManual, 450}, {ModeAutoscale, 1500}, {"fast", 400}} {
		require.Error(t, bad.Validate(), "%+v", bad)
	}
	require.NoError(t, Throughput{ModeAutoscale, 4000}.Validate())
	require.Equal(t, 0, StatusCode(nil))
	require.Equal(t, 0, StatusCode(http.ErrHandlerTimeout))
}

func TestMutateCreatesWithoutReadingWhenBelievedAbsent(t *testing.T) {
	client := newClient(t)
	ctx := context.Background()
	require.NoError(t, CreateTenant(ctx, client, "t1", Throughput{Mode: ModeManual, RU: 400}))
	cc, err := client.NewContainer("t1", UniqueEntity)
	require.NoError(t, err)
	pk := azcosmos.NewPartitionKeyString("e")
	body := func(cur []byte) ([]byte, error) {
		if cur != nil {
			return nil, nil // exists: nothing to do
		}
		return []byte(`{"id":"e","schemaVersion":1}`), nil
	}
	_, out, err := Mutate(ctx, cc, pk, "e", &Item{}, body)
	require.NoError(t, err)
	require.Equal(t, Outcome{Writes: 1}, Outcome{Reads: out.Reads, Writes: out.Writes, Conflicts: out.Conflicts})
	_, out, err = Mutate(ctx, cc, pk, "e", &Item{}, body)
	require.NoError(t, err)
	require.Equal(t, Outcome{Reads: 1, Conflicts: 1}, Outcome{Reads: out.Reads, Writes: out.Writes,
		Conflicts: out.Conflicts}, "a wrong guess costs a 409 and a read")
}
