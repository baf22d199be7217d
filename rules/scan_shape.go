package rules

import (
	"encoding/binary"
	"math/bits"
)

// Records repeat their shape: every order in an array of orders holds the
// same member names in the same order. The walker remembers the names of
// the last object it read at each matcher state and depth, with what it
// made of each (hash, next state, field); an object that repeats them byte
// for byte skips hashing, matching, classifying and the duplicate check for
// them, which the object they came from passed. A shape lives for one
// rewrite: its names point into the document.

const (
	shapeSlots   = 32 // shapes per rewrite; a power of two
	shapeMembers = 32 // names per shape
)

// shapeMember is one member name of a shape.
type shapeMember struct {
	raw    string // as written, quotes included; never holds an escape
	w0, w1 uint64 // raw's first and last eight bytes (w0 masked when shorter)
	mask   uint64 // the bytes of w0 that are raw's
	hash   uint64 // keyHash of the name
	next   int32  // the matcher state of the member
	field  Field  // what classify made of the name (zero where not asked)
}

func newShapeMember(raw string, h uint64, next int32, field Field) shapeMember {
	m := shapeMember{raw: raw, hash: h, next: next, field: field}
	var buf [8]byte
	copy(buf[:], raw)
	m.w0 = binary.LittleEndian.Uint64(buf[:])
	m.mask = 1<<(8*min(len(raw), 8)) - 1
	if len(raw) >= 8 {
		m.w1 = binary.LittleEndian.Uint64([]byte(raw[len(raw)-8:]))
	}
	return m
}

// at reports whether the name at b[i:] is m's (and a byte follows it),
// comparing a word or two: names are short.
func (m *shapeMember) at(b []byte, i int) bool {
	n := len(m.raw)
	if n > 16 || len(b)-i <= 16 {
		return len(b)-i > n && string(b[i:i+n]) == m.raw
	}
	x := binary.LittleEndian.Uint64(b[i:])
	if n < 8 {
		return x&m.mask == m.w0
	}
	return x == m.w0 && binary.LittleEndian.Uint64(b[i+n-8:]) == m.w1
}

// shape is the names of the last object read at matcher state st and
// depth, pairwise distinct under folding, in their order.
type shape struct {
	st, depth int32
	open      bool // an object open on the stack reads or writes it
	members   []shapeMember
}

// Modes of an object's frame towards its shape.
const (
	shapeNone      uint8 = iota // no shape: every name takes the full path
	shapeMatching               // every name so far is the shape's, in order
	shapeRecording              // the shape is this object's names so far
)

// openShape gives the object opening in state st at the current depth its
// shape slot plus one, or 0 when another open object holds the slot.
func (w *walker) openShape(st int32) (uint8, uint8) {
	depth := int32(w.depth)
	j := (uint32(st)*0x9e3779b1 + uint32(depth)*0x85ebca6b) >> 27 // top 5 bits: shapeSlots
	sh := &w.shapes[j]
	if sh.open {
		return 0, shapeNone
	}
	sh.open = true
	w.shapesUsed |= 1 << j
	if sh.st == st && sh.depth == depth && len(sh.members) > 0 {
		return uint8(j + 1), shapeMatching
	}
	clear(sh.members)
	sh.st, sh.depth, sh.members = st, depth, sh.members[:0]
	return uint8(j + 1), shapeRecording
}

// shapeName returns the index after the name at i and its member when it
// is the next name of the shape of frame f, whose names all matched so far;
// otherwise the object leaves its shape and shapeName returns i and nil.
func (w *walker) shapeName(f *frame, i int) (int, *shapeMember) {
	if ms := w.shapes[f.shape-1].members; int(f.nk) < len(ms) && ms[f.nk].at(w.b, i) {
		m := &ms[f.nk]
		f.nk++
		return i + len(m.raw), m
	}
	w.leaveShape(f)
	return i, nil
}

// leaveShape ends the match of the shape of frame f, whose next name is
// not the shape's: the names it matched become ordinary keys (for the
// duplicate check of the names that follow) and the shape records this
// object's names from here on.
func (w *walker) leaveShape(f *frame) {
	sh := &w.shapes[f.shape-1]
	for _, m := range sh.members[:f.nk] {
		w.keys = append(w.keys, keyEntry{m.raw[1 : len(m.raw)-1], m.hash})
	}
	clear(sh.members[f.nk:])
	sh.members = sh.members[:f.nk]
	f.mode = shapeRecording
}

// recordShape appends the name s[ks:end] (decoded: key), with what the
// walk made of it, to the shape of frame f, which records; a name with
// escapes, or one past shapeMembers, ends the recording.
func (w *walker) recordShape(f *frame, ks, end int, key string, h uint64, next int32, field Field) {
	sh := &w.shapes[f.shape-1]
	if end-ks != len(key)+2 || len(sh.members) == shapeMembers {
		f.mode = shapeNone
		return
	}
	sh.members = append(sh.members, newShapeMember(w.s[ks:end], h, next, field))
	f.nk++
}

// closeShape frees the shape slot of the object of frame f.
func (w *walker) closeShape(f *frame) {
	if f.shape > 0 {
		w.shapes[f.shape-1].open = false
	}
}

// resetShapes forgets every shape: the next document is another.
func (w *walker) resetShapes() {
	for u := w.shapesUsed; u != 0; u &= u - 1 {
		sh := &w.shapes[bits.TrailingZeros32(u)]
		clear(sh.members)
		sh.members = sh.members[:0]
		sh.open = false
		if cap(sh.members) > shapeMembers {
			sh.members = nil
		}
	}
	w.shapesUsed = 0
}
