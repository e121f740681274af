// Package scaler is the elastic scaler: a service of its own, with its own HTTP endpoint and
// its own Cosmos DB client, that changes the manual throughput of tenant containers.
//
// Backend nodes that get throttled post scale-up requests ([ScaleRequest]); the scaler
// aggregates them per container over [Config.Window], so one burst seen by many nodes raises
// throughput once, and raises in steps ([Config.StepFactor]) up to [Config.Ceiling] with
// ReplaceThroughput. Nodes also report the request units they consumed ([UsageReport]).
// Every [Config.ScaleDownEvery], for each tenant outside its working hours on the scenario
// clock ([Config.Now]), the scaler lowers each container to the peak RU/s of the last
// [Config.LookBack] plus [Config.Headroom], never below [Config.Floor]. Every decision,
// including holds, is recorded with its reason ([Decision], GET /v1/decisions).
//
// HTTP API (JSON bodies):
//
//	POST /v1/scale-up              ScaleRequest           202
//	POST /v1/usage                 UsageReport            202
//	PUT  /v1/tenants/{database}    Schedule               204
//	GET  /v1/decisions             []Decision             200
//	GET  /healthz                                         200
//
// The scaler leaves autoscale containers alone (Cosmos DB scales those itself) and records
// that as a hold.
package scaler
