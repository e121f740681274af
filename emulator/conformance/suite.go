package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// Target is the endpoint under test.
type Target struct {
	// Endpoint is the account endpoint, e.g. "http://127.0.0.1:8081/".
	Endpoint string
	// Key is the base64 account key.
	Key string
	// Transport replaces the SDK's HTTP transport (to trust a self-signed certificate);
	// nil keeps the SDK default.
	Transport policy.Transporter
}

// testCase is one named conformance check.
type testCase struct {
	name string
	run  func(t *testing.T, e *env)
}

// cases lists the suite; each file adds its own through init.
var cases []testCase

func register(name string, run func(t *testing.T, e *env)) {
	cases = append(cases, testCase{name: name, run: run})
}

// Run runs every case against the target newTarget returns (called once per case, so a
// target may be a fresh server). Cases run in parallel, each in its own database.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	RunExcept(t, newTarget, nil)
}

// Unsupported maps a case name (as the suite names its subtests, e.g. "Patch/Condition")
// to why a target cannot pass it.
type Unsupported map[string]string

// RunExcept is Run for a target known to lack some features: each case named in
// unsupported is skipped with its reason, so the skip shows in the test output. A name
// that matches no case fails the run, so a stale table cannot hide a renamed case.
func RunExcept(t *testing.T, newTarget func(t *testing.T) Target, unsupported Unsupported) {
	if unknown := unknownCases(unsupported); len(unknown) > 0 {
		t.Fatalf("unsupported-case table names cases the suite does not have: %v", unknown)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if reason, ok := unsupported[tc.name]; ok {
				t.Skipf("not supported by this target: %s", reason)
			}
			t.Parallel()
			tc.run(t, newEnv(t, newTarget(t)))
		})
	}
}

// unknownCases returns the names in unsupported that match no registered case, sorted.
func unknownCases(unsupported Unsupported) []string {
	known := make(map[string]bool, len(cases))
	for _, tc := range cases {
		known[tc.name] = true
	}
	var unknown []string
	for name := range unsupported {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	return unknown
}

// env is the state of one case: a client and a database of its own.
type env struct {
	target Target
	client *azcosmos.Client
	db     *azcosmos.DatabaseClient
	dbName string
}

func newEnv(t *testing.T, target Target) *env {
	t.Helper()
	client := newClient(t, target, target.Key)
	e := &env{target: target, client: client, dbName: "db-" + uniqueSuffix()}
	ctx := testContext(t)
	_, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: e.dbName}, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = e.db.Delete(ctx, nil)
	})
	e.db, err = client.NewDatabase(e.dbName)
	require.NoError(t, err)
	return e
}

func newClient(t *testing.T, target Target, key string) *azcosmos.Client {
	t.Helper()
	cred, err := azcosmos.NewKeyCredential(key)
	require.NoError(t, err)
	opts := &azcosmos.ClientOptions{}
	if target.Transport != nil {
		opts.Transport = target.Transport
	}
	client, err := azcosmos.NewClientWithKey(target.Endpoint, cred, opts)
	require.NoError(t, err)
	t.Cleanup(client.Close)
	return client
}

// container creates a container with the given partition key paths.
func (e *env) container(t *testing.T, props azcosmos.ContainerProperties) *azcosmos.ContainerClient {
	t.Helper()
	if props.ID == "" {
		props.ID = "c-" + uniqueSuffix()
	}
	if len(props.PartitionKeyDefinition.Paths) == 0 {
		props.PartitionKeyDefinition.Paths = []string{"/pk"}
	}
	_, err := e.db.CreateContainer(testContext(t), props, nil)
	require.NoError(t, err)
	c, err := e.db.NewContainer(props.ID)
	require.NoError(t, err)
	return c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func uniqueSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusOf returns the HTTP status of an SDK error, 0 if it is not a response error.
func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// substatusOf returns the x-ms-substatus of an SDK error.
func substatusOf(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.RawResponse != nil {
		return re.RawResponse.Header.Get("x-ms-substatus")
	}
	return ""
}

// requireStatus fails unless err is a response error with the status want.
func requireStatus(t *testing.T, err error, want int) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, statusOf(err), "got error %v", err)
}
