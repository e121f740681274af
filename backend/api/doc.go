// Package api is the sensor wire protocol: what a sensor (package sim, or a real sensor)
// posts to the backend's ingest endpoint, and what the backend answers. It is the contract
// between sender and receiver and holds no behaviour beyond encoding, decoding and
// validation; authentication, dedupe and back-pressure are the backend's.
//
// # HTTP
//
//	POST /v1/ingest/batches            (IngestPath)
//	Authorization: Bearer <token>      token issued to the sensor's tenant at onboarding
//	Content-Type: application/json     (ContentTypeJSON)
//	Content-Encoding: gzip             optional (EncodingGzip)
//
// Responses: 200 with an Ack (Duplicate set when the batch id was already acknowledged);
// 400 with a Problem (application/problem+json) whose Field names the offending JSON path,
// e.g. "events[12].kind"; 401 missing or unknown token; 403 token of another tenant; 413 body
// over MaxBodyBytes (after decompression) or over MaxEventsPerBatch events; 415 other
// content type or encoding; 429 and 503 with Retry-After (seconds) to push back. Sensors
// retry 429, 503, other 5xx and transport errors with backoff and the same batch id; they
// never retry other 4xx.
//
// # Batch
//
//	{"tenant":"t0001","sensor":"dc003","seq":42,"id":"dc003:42","events":[{...},...]}
//
// Fields:
//   - tenant: tenant id, 1..128 bytes of [A-Za-z0-9._-]; must be the token's tenant.
//   - sensor: sensor id, unique within the tenant, same alphabet.
//   - seq: the sensor's batch sequence number, from 1, kept on retry.
//   - id: BatchID(sensor, seq) = "<sensor>:<seq>"; the backend dedupes on (tenant, id).
//   - events: 1..MaxEventsPerBatch events.
//
// # Event
//
//	{"kind":"kerberos_tgs","time":"2026-03-02T09:15:04.250Z",
//	 "src":{"type":"user","name":"jdoe"},"src_host":"ws0042",
//	 "dst":{"type":"service","name":"MSSQLSvc/sql01.corp.example:1433"},"dst_host":"sql01",
//	 "result":"success","enc":"aes256"}
//
// Fields (zero values are omitted on the wire, except kind, time and result):
//   - kind: what happened; one of kerberos_as, kerberos_tgs, ntlm, ldap_query, dns_lookup,
//     logon_success (Windows 4624), logon_failure (4625), ticket_request (4768/4769),
//     credential_validation (4776), directory_create, directory_change, directory_disable.
//   - time: when, on the scenario clock, RFC 3339 in UTC; written with milliseconds.
//   - src: who acted, {"type":T,"name":N} with T one of user, computer, service, group and
//     N unique per tenant and type (sAMAccountName, host name or full SPN).
//   - src_host: the computer the activity came from.
//   - dst: what was acted on: the computer logged on to (logons, ntlm, credential
//     validation), the service a ticket was requested for (kerberos_tgs, ticket_request), the
//     domain controller (kerberos_as, ldap_query, dns_lookup), or the entity a directory sync
//     kind reports.
//   - dst_host: the computer hosting dst when dst is a service.
//   - result: success, bad_password, unknown_account, locked_out, disabled, expired, denied,
//     not_found, error.
//   - logon_type: Windows logon type for logon kinds (2 interactive, 3 network, 10 remote).
//   - admin: the logon carried administrative rights (4672), or the directory entity is
//     privileged.
//   - enc: Kerberos ticket encryption: aes256, aes128, rc4, des.
//   - query: the LDAP filter (ldap_query) or the looked-up name (dns_lookup).
//   - count: entries an LDAP query returned.
//   - attr: the attribute a directory_change reports (e.g. "memberOf", "title").
//
// Required per kind (Event.Validate): every kind but the directory ones needs src or
// src_host; kerberos_tgs needs a dst of type service; ldap_query and dns_lookup need query;
// directory kinds need dst, and directory_change needs attr.
//
// # Recordings
//
// A recording (sim's --record) is newline-delimited JSON, one event per line, each the event
// object with "tenant" and "sensor" first (AppendRecordJSON, Decoder.DecodeRecord).
//
// # Using it
//
// Senders build a Batch and call AppendBatchJSON into a reused buffer. Receivers keep one
// Decoder per goroutine, call DecodeBatch then Batch.Validate, and answer a *FieldError or
// *SyntaxError with a 400 Problem naming its field. Unknown keys are skipped so the format can
// grow by adding fields; existing fields keep their meaning.
package api
