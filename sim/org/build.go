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
		dc := o.HomeOf(int32(i))
		o.usersByDC[dc] = append(o.usersByDC[dc], int32(i))
	}
}

func (o *Org) buildServices() {
	services := 0
	for services < len(o.Users) && o.Users[services].Service {
		services++
	}
	perRole := make([]int, len(serviceRoles))
	for i, s := range o.Servers {
		r := roleOf(s.Name)
		role := serviceRoles[r]
		account := int32(-1)
		if role.account {
			account = serviceAccount(r, perRole[r], services)
			perRole[r]++
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

// serviceAccount returns the service account running the k-th service of role, given
// that users [0, services) are the service accounts and account i serves role i modulo the
// number of roles; -1 when the role has none.
func serviceAccount(role, k, services int) int32 {
	per := len(serviceRoles)
	if i := role + per*k; i < services {
		return int32(i)
	}
	if role < services {
		// More servers than accounts: the role's accounts take turns.
		return int32(role + per*(k%((services-1-role)/per+1)))
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

// buildGroups makes the admin groups and the departments and fills them: the first
// administrators (a third, at least one) are Domain Admins, the others Server Operators,
// and the other users who are not service accounts are spread over the departments. Each
// department uses every n-th server, so that its members reach a share of the popular ones
// too; Server Operators administer them all.
func (o *Org) buildGroups() {
	o.Groups = append(o.Groups, Group{Name: "Domain Admins", Admin: true},
		Group{Name: "Server Operators", Admin: true})
	n := min(len(groupNames), 1+len(o.Users)/200)
	for _, name := range groupNames[:n] {
		o.Groups = append(o.Groups, Group{Name: name})
	}
	for s := range o.Servers {
		ops := &o.Groups[ServerOperators]
		ops.Servers = append(ops.Servers, int32(s))
		dept := &o.Groups[2+s%n]
		dept.Servers = append(dept.Servers, int32(s))
	}
	admins := 0
	for i := range o.Users {
		if o.Users[i].Admin {
			admins++
		}
	}
	domainAdmins, seen, dept := max(1, admins/3), 0, 0
	for i := range o.Users {
		u := &o.Users[i]
		u.Department = -1
		switch {
		case u.Admin:
			g := ServerOperators
			if seen < domainAdmins {
				g = DomainAdmins
			}
			seen++
			o.Groups[g].Members = append(o.Groups[g].Members, int32(i))
		case !u.Service:
			u.Department = int16(2 + dept%n)
			o.Groups[u.Department].Members = append(o.Groups[u.Department].Members, int32(i))
			dept++
		}
	}
}
