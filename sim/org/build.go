package org

import (
	"fmt"

	"github.com/stampede-load/stampede/sim/internal/rng"
)

func (o *Org) buildComputers(r *rng.Source, spec Spec) {
	servers := max(1, spec.Computers/10)
	workstations := max(1, spec.Computers-servers)
	o.Workstations = make([]Computer, workstations)
	for i := range o.Workstations {
		o.Workstations[i] = o.computer(fmt.Sprintf("ws%05d", i+1))
	}
	perRole := make([]int, len(serviceRoles))
	o.Servers = make([]Computer, servers)
	for i := range o.Servers {
		// The first servers take the first roles so even a tiny org has a file and web
		// server; later ones are drawn at random.
		role := i
		if i >= len(serviceRoles) {
			role = r.IntN(len(serviceRoles))
		}
		perRole[role]++
		name := fmt.Sprintf("%s%02d", serviceRoles[role].prefix, perRole[role])
		o.Servers[i] = o.computer(name)
	}
	o.DCs = make([]Computer, spec.Sensors)
	o.SensorIDs = make([]string, spec.Sensors)
	for i := range o.DCs {
		o.DCs[i] = o.computer(fmt.Sprintf("dc%03d", i+1))
		o.SensorIDs[i] = o.DCs[i].Name
	}
}

func (o *Org) buildUsers(r *rng.Source, spec Spec) {
	admins := 1 + spec.Users/100
	services := min(spec.Users-1, 1+spec.Users/50)
	names := userNames(r, spec.Users)
	o.Users = make([]User, spec.Users)
	o.usersByDC = make([][]int32, len(o.DCs))
	for i := range o.Users {
		u := User{Name: names[i], Workstation: int32(i % len(o.Workstations))}
		switch {
		case i < services:
			// Service accounts come first so services can refer to them by index.
			u.Name, u.Service = fmt.Sprintf("svc_%s%02d", serviceRoles[i%len(serviceRoles)].prefix,
				i/len(serviceRoles)+1), true
		case i < services+admins:
			u.Name, u.Admin = "adm_"+u.Name, true
		}
		o.Users[i] = u
		dc := i % len(o.DCs)
		o.usersByDC[dc] = append(o.usersByDC[dc], int32(i))
	}
}

func (o *Org) buildServices() {
	for i, s := range o.Servers {
		role := serviceRoles[roleOf(s.Name)]
		account := int32(-1)
		if role.account {
			account = o.serviceAccount(roleOf(s.Name))
		}
		o.Services = append(o.Services, Service{
			SPN: role.class + "/" + s.FQDN + role.port, Server: int32(i), Account: account,
		})
		// Every server also answers for HOST/, run by its computer account.
		if role.class != "HOST" {
			o.Services = append(o.Services, Service{SPN: "HOST/" + s.FQDN, Server: int32(i),
				Account: -1})
		}
	}
}

// serviceAccount returns the service account for role, or -1 when there is none.
func (o *Org) serviceAccount(role int) int32 {
	for i, u := range o.Users {
		if !u.Service {
			break
		}
		if i%len(serviceRoles) == role {
			return int32(i)
		}
	}
	return -1
}

func roleOf(host string) int {
	for i, role := range serviceRoles {
		if len(host) > len(role.prefix) && host[:len(role.prefix)] == role.prefix &&
			host[len(role.prefix)] >= '0' && host[len(role.prefix)] <= '9' {
			return i
		}
	}
	return 0
}

var groupNames = []string{"Finance", "Engineering", "Sales", "HR", "Support", "Marketing",
	"Legal", "Operations"}

func (o *Org) buildGroups() {
	o.Groups = append(o.Groups, Group{Name: "Domain Admins", Admin: true},
		Group{Name: "Server Operators", Admin: true})
	n := min(len(groupNames), 1+len(o.Users)/200)
	for _, name := range groupNames[:n] {
		o.Groups = append(o.Groups, Group{Name: name})
	}
}
