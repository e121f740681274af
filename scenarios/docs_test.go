package scenarios

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocsExampleLoads keeps the complete example of docs/scenarios.md valid.
func TestDocsExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenarios.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)## A complete example\n\n```yaml\n(.*?)```").FindSubmatch(doc)
	require.NotNil(t, m, "docs/scenarios.md has no complete example")
	s, err := Parse("docs/scenarios.md", m[1])
	require.NoError(t, err)
	require.Len(t, s.Timeline, 4)
	require.Equal(t, []string{"branch-1", "branch-2", "branch-3"}, s.Tenants[1].TenantNames())
}
