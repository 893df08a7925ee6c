package chaosmap

import (
	"encoding/json"
	"fmt"
	"io"
)

// ProtocolVersion is the version of PROTOCOL.md this package speaks.
const ProtocolVersion = 1

// The operation kinds, as numbered in the protocol.
const (
	OpLoad = iota
	OpStore
	OpDelete
	OpLoadOrStore
	OpLoadAndDelete
	OpSwap
	OpCompareAndSwap
	OpCompareAndDelete
	OpRange
	OpClear
	OpLen
	opKinds
)

// Op is one scripted operation: [kind, key, a, b] on the wire. a is the
// value (store, load_or_store, swap), the old value (compare_and_*) or the
// range's limit (0: no limit); b is compare_and_swap's new value.
type Op [4]uint64

// Request is the workload chaos sends on stdin.
type Request struct {
	Protocol int `json:"protocol"`
	// Map names the registry entry to run.
	Map string `json:"map"`
	// GOMAXPROCS to run with (0: leave it).
	Gomaxprocs int `json:"gomaxprocs"`
	// Prefill is stored before the goroutines start: [key, value] pairs.
	Prefill [][2]uint64 `json:"prefill"`
	// Threads holds one script per goroutine.
	Threads [][]Op `json:"threads"`
	// Perturb, per goroutine and op: before the op, 0 runs it at once, 1
	// calls runtime.Gosched, n > 1 spins n-1 iterations. Empty: none.
	Perturb [][]uint32 `json:"perturb"`
	// Events is the file the records go to (see PROTOCOL.md); created or
	// truncated by the target.
	Events string `json:"events"`
}

// ReadRequest reads and checks one request for `serve`.
func ReadRequest(r io.Reader) (*Request, error) {
	return readRequest(r, true)
}

// ReadBenchRequest reads and checks one request for `bench`: no events
// file (nothing is recorded) and no perturbation plan (nothing is slowed).
func ReadBenchRequest(r io.Reader) (*Request, error) {
	req, err := readRequest(r, false)
	if err != nil {
		return nil, err
	}
	if req.Events != "" {
		return nil, fmt.Errorf("request: events: a bench records nothing, so it takes no events file")
	}
	if len(req.Perturb) != 0 {
		return nil, fmt.Errorf("request: perturb: a bench runs its ops unperturbed, so it takes no plan")
	}
	return req, nil
}

func readRequest(r io.Reader, needEvents bool) (*Request, error) {
	var req Request
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf("request: %v", err)
	}
	if req.Protocol != ProtocolVersion {
		return nil, fmt.Errorf("request: protocol %d, this target speaks %d", req.Protocol, ProtocolVersion)
	}
	if len(req.Threads) == 0 {
		return nil, fmt.Errorf("request: threads: at least one script is needed")
	}
	if needEvents && req.Events == "" {
		return nil, fmt.Errorf("request: events: a file path is needed")
	}
	if req.Gomaxprocs < 0 {
		return nil, fmt.Errorf("request: gomaxprocs: %d is negative", req.Gomaxprocs)
	}
	if len(req.Perturb) != 0 && len(req.Perturb) != len(req.Threads) {
		return nil, fmt.Errorf("request: perturb: %d plans for %d threads", len(req.Perturb), len(req.Threads))
	}
	for t, script := range req.Threads {
		for i, op := range script {
			if op[0] >= opKinds {
				return nil, fmt.Errorf("request: threads[%d][%d]: kind %d, allowed 0..%d", t, i, op[0], opKinds-1)
			}
		}
		if len(req.Perturb) != 0 && len(req.Perturb[t]) != len(script) {
			return nil, fmt.Errorf("request: perturb[%d]: %d entries for %d ops", t, len(req.Perturb[t]), len(script))
		}
	}
	return &req, nil
}
