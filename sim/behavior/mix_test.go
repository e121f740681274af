package behavior

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
)

func TestParseMix(t *testing.T) {
	got, err := ParseMix(" kerberos_tgs=30, dns_lookup = 20.5,")
	require.NoError(t, err)
	require.Equal(t, Mix{api.KindKerberosTGS: 30, api.KindDNSLookup: 20.5}, got)

	_, err = ParseMix("ntlm,fishing=1,ldap_query=x,directory_create=1")
	require.ErrorContains(t, err, `mix item 1 "ntlm": want KIND=WEIGHT`)
	require.ErrorContains(t, err, `mix item 2 "fishing=1": unknown kind`)
	require.ErrorContains(t, err, `mix item 3 "ldap_query=x": weight is not a number`)
	_, err = ParseMix("directory_create=1")
	require.ErrorContains(t, err, "directory_create cannot be weighted")
	_, err = ParseMix("ntlm=0")
	require.ErrorContains(t, err, "positive, finite total weight")
	_, err = ParseMix("ntlm=1e308,dns_lookup=1e308")
	require.ErrorContains(t, err, "positive, finite total weight")
}

func FuzzParseMix(f *testing.F) {
	f.Add("kerberos_tgs=30,dns_lookup=20")
	f.Add("ntlm=1e3, ldap_query=NaN")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMix(s)
		if err == nil {
			require.NoError(t, m.Validate())
			kinds, thresholds := m.table()
			require.Len(t, thresholds, len(kinds))
		}
	})
}
