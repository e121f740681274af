package org

import (
	"fmt"

	"github.com/stampede-load/stampede/sim/internal/rng"
)

var firstNames = []string{
	"james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david",
	"elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas",
	"sarah", "charles", "karen", "chris", "lisa", "daniel", "nancy", "matthew", "betty",
	"anthony", "sandra", "mark", "ashley", "paul", "emily", "steven", "donna", "andrew",
	"michelle", "kenji", "aiko", "lars", "ingrid", "pierre", "amelie", "raj", "priya",
}

var lastNames = []string{
	"smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis",
	"rodriguez", "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson",
	"thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white",
	"harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young", "allen",
	"king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green", "adams",
	"nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts",
	"tanaka", "sato", "larsen", "berg", "dubois", "moreau", "sharma", "patel", "kowalski",
}

// serviceRoles are the member server roles: host name prefix, SPN service class, port
// suffix, and whether a service account (rather than the computer) runs the service.
var serviceRoles = []struct {
	prefix, class, port string
	account             bool
}{
	{"file", "cifs", "", false},
	{"web", "HTTP", "", true},
	{"sql", "MSSQLSvc", ":1433", true},
	{"app", "HOST", "", false},
	{"exch", "exchangeMDB", "", false},
	{"print", "HOST", "", false},
	{"sccm", "HTTP", ":8530", true},
	{"backup", "HOST", "", true},
}

// userNames returns n unique account names: "jsmith", "jsmith2", ...
func userNames(r *rng.Source, n int) []string {
	seen := make(map[string]int, n)
	out := make([]string, n)
	for i := range out {
		base := firstNames[r.IntN(len(firstNames))][:1] + lastNames[r.IntN(len(lastNames))]
		seen[base]++
		if k := seen[base]; k > 1 {
			out[i] = fmt.Sprintf("%s%d", base, k)
			continue
		}
		out[i] = base
	}
	return out
}

func (o *Org) computer(name string) Computer {
	return Computer{Name: name, FQDN: name + "." + o.Domain}
}
