package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stampede-load/stampede/sim"
	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/org"
)

// ExampleRecord records two seconds of a tiny tenant with an attack, and prints the first
// event and the attack's ground truth. The output is the same on every machine.
func ExampleRecord() {
	cfg := sim.Config{
		Seed: 1, Duration: 2 * time.Second,
		Tenants: []sim.TenantSpec{{
			Org:     org.Spec{Tenant: "t0001", Users: 20},
			Rate:    50,
			Attacks: []attack.Spec{{Kind: attack.Reconnaissance, At: time.Second, For: time.Second}},
		}},
	}
	var out bytes.Buffer
	totals, err := sim.Record(context.Background(), cfg, &out)
	if err != nil {
		fmt.Println(err)
		return
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	fmt.Println(first)
	a := totals.Attacks[0]
	fmt.Println(totals.Events, a.ID, a.Attacker.Name, a.Events, a.Start.Format(time.RFC3339))
	// Output:
	// {"tenant":"t0001","sensor":"dc001","kind":"kerberos_tgs","time":"2026-01-05T08:00:00.004Z","src":{"type":"user","name":"svc_file01"},"src_host":"file01","dst":{"type":"service","name":"cifs/file01.t0001.corp.example"},"dst_host":"file01","result":"success","enc":"aes256"}
	// 400 t0001/1-reconnaissance rlee 300 2026-01-05T08:00:01Z
}
