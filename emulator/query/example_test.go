package query_test

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/stampede-load/stampede/emulator/query"
)

func Example() {
	var docs []any
	_ = json.Unmarshal([]byte(`[
		{"id": "u1", "kind": "user", "logons": 12, "tags": ["admin"]},
		{"id": "c1", "kind": "computer", "logons": 3},
		{"id": "u2", "kind": "user", "logons": 7, "tags": []}
	]`), &docs)

	q, err := query.Parse(`SELECT c.id, c.logons FROM c
		WHERE c.kind = @kind ORDER BY c.logons DESC`)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := q.Bind([]query.Param{{Name: "@kind", Value: "user"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, err := b.Execute(slices.Values(docs))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := json.Marshal(rows)
	fmt.Println(string(out), b.Streamable())
	// Output: [{"id":"u1","logons":12},{"id":"u2","logons":7}] false
}

func ExampleParse_error() {
	_, err := query.Parse("SELECT * FROM c WHERE c.n = TRUE")
	fmt.Println(err)
	// Output: identifier 'TRUE' could not be resolved (the literals true, false, null and undefined are lowercase) (at offset 28)
}
