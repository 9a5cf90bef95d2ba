package fsfit

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:generate go run ./internal/genlib -out library.json

// LibrarySteps are the K values the embedded library holds for every
// catalogue activation.
var LibrarySteps = []int{4, 6, 8, 10, 12, 16, 20, 24, 32}

// LibraryEntry is one pre-fitted neuron of the embedded library, fitted
// with the default method on the activation's default range and measured
// on 100000 uniform points of it.
type LibraryEntry struct {
	Activation     string    `json:"activation"`
	Steps          int       `json:"steps"`
	Init           string    `json:"init"`
	Seed           int64     `json:"seed"`
	Range          []float64 `json:"range"`
	MSE            float64   `json:"mse"`
	MaxAbsError    float64   `json:"max_abs_error"`
	SpikesPerInput float64   `json:"spikes_per_input"`
	Params
}

// libraryFile is the layout of library.json.
type libraryFile struct {
	About   string         `json:"about"`
	Entries []LibraryEntry `json:"entries"`
}

//go:embed library.json
var libraryJSON []byte

// loadLibrary parses the embedded library once; the result is never
// modified afterwards (callers get copies).
var loadLibrary = sync.OnceValues(func() (map[string]LibraryEntry, error) {
	var lf libraryFile
	if err := json.Unmarshal(libraryJSON, &lf); err != nil {
		return nil, fmt.Errorf("fsfit: embedded library.json: %w", err)
	}
	m := make(map[string]LibraryEntry, len(lf.Entries))
	for i, e := range lf.Entries {
		if err := e.Params.Validate(); err != nil {
			return nil, fmt.Errorf("fsfit: embedded library.json entry %d (%s K=%d): %w", i, e.Activation, e.Steps, err)
		}
		m[libraryKey(e.Activation, e.Steps)] = e
	}
	return m, nil
})

func libraryKey(name string, k int) string { return fmt.Sprintf("%s/%d", name, k) }

// Library returns the embedded pre-fitted parameters for the activation
// called name (aliases accepted) at K steps, fitted for its default
// parameters and range.
func Library(name string, k int) (Params, bool) {
	e, ok := LibraryInfo(name, k)
	return e.Params, ok
}

// LibraryFor is Library for an activation value: it reports false when
// act's parameters (alpha, beta) differ from the catalogue defaults the
// library was fitted for.
func LibraryFor(act Activation, k int) (Params, bool) {
	if !act.hasDefaultParams() {
		return Params{}, false
	}
	return Library(act.Name, k)
}

// LibraryInfo returns the library entry with its fit metrics.
func LibraryInfo(name string, k int) (LibraryEntry, bool) {
	act, err := Lookup(name)
	if err != nil {
		return LibraryEntry{}, false
	}
	m, err := loadLibrary()
	if err != nil {
		return LibraryEntry{}, false
	}
	e, ok := m[libraryKey(act.Name, k)]
	if !ok {
		return LibraryEntry{}, false
	}
	e.Params = e.Params.Clone()
	e.Range = append([]float64(nil), e.Range...)
	return e, true
}
