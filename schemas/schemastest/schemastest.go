// Package schemastest gives tests the vocabulary without error handling: the embedded files are
// checked by package schemas' own tests, so a test that cannot load them may as well stop.
package schemastest

import "github.com/infragraph/infragraph/schemas"

// Vocabulary is schemas.Load for tests; it panics when the vocabulary does not load.
func Vocabulary() *schemas.Vocabulary {
	v, err := schemas.Load()
	if err != nil {
		panic(err)
	}
	return v
}
