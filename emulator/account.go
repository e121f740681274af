package emulator

import (
	"encoding/json"
	"net/http"
)

// accountLocation is one region entry of the account document.
type accountLocation struct {
	Name     string `json:"name"`
	Endpoint string `json:"databaseAccountEndpoint"`
}

// serveAccount answers GET /, the account document the SDK bootstraps from. The regional
// endpoint is built from the request's Host so that it is reachable by the caller.
func (rq *request) serveAccount() error {
	scheme := "http"
	if rq.r.TLS != nil || rq.s.cfg.TLS {
		scheme = "https"
	}
	loc := []accountLocation{{Name: rq.s.cfg.Region, Endpoint: scheme + "://" + rq.r.Host + "/"}}
	body, err := json.Marshal(map[string]any{
		"id":                           "localhost",
		"_rid":                         "localhost",
		"_self":                        "",
		"_dbs":                         "//dbs/",
		"media":                        "//media/",
		"addresses":                    "//addresses/",
		"writableLocations":            loc,
		"readableLocations":            loc,
		"enableMultipleWriteLocations": false,
		"userConsistencyPolicy":        map[string]any{"defaultConsistencyLevel": "Session"},
		"systemReplicationPolicy":      map[string]any{"minReplicaSetSize": 1, "maxReplicasetSize": 1},
		"readPolicy": map[string]any{
			"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1,
		},
		"queryEngineConfiguration": `{"maxSqlQueryInputLength":524288,"maxJoinsPerSqlQuery":10}`,
	})
	if err != nil {
		return err
	}
	rq.charge = 0
	rq.reply(http.StatusOK, body)
	return nil
}
