package rules

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// Records repeat their shape: every order in an array of orders holds the
// same member names in the same order, and so does every request a partner
// is sent. The walker remembers the names of the last object it read at
// each matcher state and depth, with what it made of each (hash, next
// state, field); an object that repeats them byte for byte skips hashing,
// matching, classifying and the duplicate check for them, which the object
// they came from passed. Shapes hold copies of the names, so they outlive
// the document and serve the walker's next rewrites too (as the field cache
// does); they hold no values.

const (
	shapeBits    = 5 // the hash's top bits that pick a shape's slot
	shapeSlots   = 1 << shapeBits
	_            = uint32(1<<shapeSlots - 1) // walker.shapesOpen has a bit per slot
	shapeMembers = 32                        // names per shape
	maxShapeName = 64                        // the longest name a shape holds, quotes included
)

// shapeMember is one member name of a shape.
type shapeMember struct {
	raw    string // as written, quotes included, in the shape's arena; never holds an escape
	w0, w1 uint64 // raw's first and last eight bytes (w0 masked when shorter)
	mask   uint64 // the bytes of w0 that are raw's
	hash   uint64 // keyHash of the name
	next   int32  // the matcher state of the member
	field  Field  // what classify made of the name (zero where not asked)
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
	arena     []byte // the names' bytes
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
	j := (uint32(st)*0x9e3779b1 + uint32(depth)*0x85ebca6b) >> (32 - shapeBits)
	sh := &w.shapes[j]
	if sh.open {
		return 0, shapeNone
	}
	sh.open = true
	w.shapesOpen |= 1 << j
	if sh.st == st && sh.depth == depth && len(sh.members) > 0 {
		return uint8(j + 1), shapeMatching
	}
	sh.st, sh.depth = st, depth
	sh.truncate(0)
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
	sh.truncate(int(f.nk))
	f.mode = shapeRecording
}

// truncate keeps the first n names of sh. The bytes of the names it
// forgets are overwritten by the names recorded next.
func (sh *shape) truncate(n int) {
	end := 0
	if n > 0 {
		m := &sh.members[n-1]
		end = int(uintptr(unsafe.Pointer(unsafe.StringData(m.raw)))-uintptr(unsafe.Pointer(unsafe.SliceData(sh.arena)))) + len(m.raw)
	}
	clear(sh.members[n:])
	sh.members, sh.arena = sh.members[:n], sh.arena[:end]
}

// recordShape appends the name s[ks:end] (decoded: key), with what the
// walk made of it, to the shape of frame f, which records; a name with
// escapes, or one past shapeMembers or maxShapeName, ends the recording.
func (w *walker) recordShape(f *frame, ks, end int, key string, h uint64, next int32, field Field) {
	sh := &w.shapes[f.shape-1]
	n := end - ks
	if n != len(key)+2 || n > maxShapeName || len(sh.members) == shapeMembers {
		f.mode = shapeNone
		return
	}
	sh.add(w.s[ks:end], h, next, field)
	f.nk++
}

// add appends the name raw, with what the walk made of it, to sh.
func (sh *shape) add(raw string, h uint64, next int32, field Field) {
	n := len(raw)
	if cap(sh.arena)-len(sh.arena) < n+8 {
		// A new arena, with room to read a word past any name: the names
		// recorded so far keep the old one.
		sh.arena = make([]byte, 0, max(2*cap(sh.arena), 8*maxShapeName))
	}
	at := len(sh.arena)
	sh.arena = append(sh.arena, raw...)
	m := shapeMember{raw: unsafe.String(&sh.arena[at], n), hash: h, next: next, field: field}
	m.mask = 1<<(8*min(n, 8)) - 1
	m.w0 = binary.LittleEndian.Uint64(sh.arena[at:at+8]) & m.mask
	if n >= 8 {
		m.w1 = binary.LittleEndian.Uint64(sh.arena[at+n-8 : at+n])
	}
	sh.members = append(sh.members, m)
}

// closeShape frees the shape slot of the object of frame f.
func (w *walker) closeShape(f *frame) {
	if f.shape > 0 {
		w.shapes[f.shape-1].open = false
		w.shapesOpen &^= 1 << (f.shape - 1)
	}
}

// closeShapes frees the slots of the objects a refused document left open.
func (w *walker) closeShapes() {
	for u := w.shapesOpen; u != 0; u &= u - 1 {
		w.shapes[bits.TrailingZeros32(u)].open = false
	}
	w.shapesOpen = 0
}
