package doku

import (
	"bytes"
	"encoding/json"
	"fmt"

	"lunas/gateways"
)

// marshal encodes v the way DOKU hashes it: compact, and without Go's HTML
// escaping of <, > and &, so the bytes sent are the bytes signed.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Minify compacts a JSON body as SNAP's minify(RequestBody) does.
func Minify(body []byte) ([]byte, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, body); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func decodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", gateways.ErrUnparseable, err)
	}
	return nil
}
