// Package alertdoc owns the Alert container's document schema, in every version the backend
// has shipped, and how a detection updates a stored alert.
//
// Version 1 stored the severity as a word and the number of detections as "count". Version 2
// stores a numeric severity level (1 low, 2 medium, 3 high) next to its name, renames "count"
// to "detections" and adds a triage "status" ("open" until someone resolves it). [Decode]
// reads both and upgrades with an explicit 1 -> 2 function; [Encode] writes either.
package alertdoc
