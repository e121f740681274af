package backend

import (
	"github.com/stampede-load/stampede/backend/alertdoc"
	"github.com/stampede-load/stampede/backend/profile"
)

// MaxGeneration is the newest schema generation this code can write.
const MaxGeneration = 3

// generation maps a schema generation (what a deployment of the backend writes) to the
// schema version of each versioned container.
type generation struct {
	Profile int // UniqueEntityProfile
	Alert   int // Alert
}

var generations = [MaxGeneration + 1]generation{
	1: {Profile: 1, Alert: 1},
	2: {Profile: 2, Alert: 2},
	3: {Profile: profile.CurrentVersion, Alert: alertdoc.CurrentVersion},
}
