package api_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

// Example shows a sensor encoding a batch and the backend decoding and validating it.
func Example() {
	batch := &api.Batch{Tenant: "t0001", Sensor: "dc001", Sequence: 7,
		ID: api.BatchID("dc001", 7),
		Events: []api.Event{{
			Kind: api.KindLogonFailure, Time: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
			Source:     api.EntityRef{Type: api.EntityUser, Name: "jdoe"},
			SourceHost: "ws00042", Target: api.EntityRef{Type: api.EntityComputer, Name: "srv01"},
			Result: api.ResultBadPassword, LogonType: 3,
		}}}
	body := api.AppendBatchJSON(nil, batch)
	fmt.Println(string(body))

	var d api.Decoder
	var got api.Batch
	if err := d.DecodeBatch(body, &got); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.Validate() == nil)

	got.Events[0].Kind = api.KindUnknown
	var fe *api.FieldError
	if errors.As(got.Validate(), &fe) {
		fmt.Println("400:", fe.Field)
	}
	// Output:
	// {"tenant":"t0001","sensor":"dc001","seq":7,"id":"dc001:7","events":[{"kind":"logon_failure","time":"2026-01-05T09:00:00.000Z","src":{"type":"user","name":"jdoe"},"src_host":"ws00042","dst":{"type":"computer","name":"srv01"},"result":"bad_password","logon_type":3}]}
	// true
	// 400: events[0].kind
}
