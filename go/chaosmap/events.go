package chaosmap

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// The events file (PROTOCOL.md, "Events"): a header, then each thread's
// count of ops, then one 32-byte record per op, thread by thread. It is a
// shared mapping of a file, so what a goroutine stored survives a fatal
// error that kills the process a moment later.
const (
	eventsMagic = "CHAOSEV1"
	headerBytes = 16
	recordWords = 4
	recordBytes = 8 * recordWords
	flagOK      = 1 << 0
	// flagUnsupported: the map has no such operation (Len without a Len
	// method).
	flagUnsupported = 1 << 61
	flagPanicked    = 1 << 62
)

// Events is the mapped events file of one run.
type Events struct {
	mem   []byte
	words []uint64
	// first[t] is the word index of thread t's first record.
	first []int
}

// CreateEvents creates (or truncates) path, sized for scripts.
func CreateEvents(path string, scripts [][]Op) (*Events, error) {
	ops := 0
	for _, s := range scripts {
		ops += len(s)
	}
	size := headerBytes + 8*len(scripts) + recordBytes*ops
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("events: %v", err)
	}
	defer f.Close()
	// The file is written out in zeros, not truncated to its size: a hole
	// would have each page's blocks allocated at its first store, in a
	// page fault several times dearer than this write.
	if err := writeZeros(f, size); err != nil {
		return nil, fmt.Errorf("events: %v", err)
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("events: mmap: %v", err)
	}
	// Store to every page once now, before any goroutine starts: the
	// page faults that map the file in are taken here, not amid the ops.
	for at := 0; at < size; at += os.Getpagesize() {
		mem[at] = 0
	}
	copy(mem, eventsMagic)
	binary.LittleEndian.PutUint32(mem[8:], ProtocolVersion)
	binary.LittleEndian.PutUint32(mem[12:], uint32(len(scripts)))
	e := &Events{mem: mem}
	// The mapping is page-aligned and its size a multiple of 8, so it is
	// a slice of aligned words.
	e.words = unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), size/8)
	at := (headerBytes + 8*len(scripts)) / 8
	for t, s := range scripts {
		e.words[headerBytes/8+t] = uint64(len(s))
		e.first = append(e.first, at)
		at += recordWords * len(s)
	}
	return e, nil
}

// writeZeros writes n zero bytes to f.
func writeZeros(f *os.File, n int) error {
	zeros := make([]byte, min(n, 64<<10))
	for n > 0 {
		k, err := f.Write(zeros[:min(n, len(zeros))])
		if err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// record returns the words of thread t's op i.
func (e *Events) record(t, i int) []uint64 {
	at := e.first[t] + recordWords*i
	return e.words[at : at+recordWords]
}

// Close unmaps the file.
func (e *Events) Close() error {
	return syscall.Munmap(e.mem)
}

// Record is one op's record as read back.
type Record struct {
	Invoke, Return, A, B uint64
}

// ReadEvents reads an events file back (as chaos does, here for tests).
func ReadEvents(path string) ([][]Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < headerBytes || string(b[:8]) != eventsMagic {
		return nil, fmt.Errorf("%s: not an events file", path)
	}
	threads := int(binary.LittleEndian.Uint32(b[12:]))
	at := headerBytes + 8*threads
	out := make([][]Record, threads)
	for t := range out {
		n := int(binary.LittleEndian.Uint64(b[headerBytes+8*t:]))
		for i := 0; i < n; i++ {
			w := func(k int) uint64 { return binary.LittleEndian.Uint64(b[at+8*k:]) }
			out[t] = append(out[t], Record{w(0), w(1), w(2), w(3)})
			at += recordBytes
		}
	}
	return out, nil
}
