package reports

import (
	"bytes"
	"encoding/json"
)

// jsonUnmarshalStrict decodes b into v and rejects unknown fields.
func jsonUnmarshalStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
