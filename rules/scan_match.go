package rules

import (
	"encoding/binary"
	"maps"
	"math/bits"
	"slices"
	"unicode/utf8"
	"unsafe"
)

// The scanner hashes each key once, by its folded form, and uses the hash
// twice: to step the matcher (compare hashes, then the folded text) and to
// find duplicates (compare hashes, then sameKey). Keys that are equal under
// folding always hash equal, so a hash that differs proves two keys differ;
// an equal hash is always confirmed on the text.

const (
	hashOffset = 14695981039346656037 // FNV-1a's, 64 bits
	hashPrime  = 1099511628211
	caseBits   = 0x2020202020202020
)

// foldHash hashes b[i:j], each byte with its case bit (0x20) set. For the
// bytes of a folded key that changes nothing but the hash of some keys
// that differ; for ASCII it maps every letter to its lower case, so an ASCII
// key hashes as its folded form without folding it. It reads eight bytes at
// a time, past j (masked off) when b is long enough. The last word, of 0 to 7
// bytes, is always mixed in: quickKey relies on that.
func foldHash(b []byte, i, j int) uint64 {
	h := uint64(hashOffset)
	n := j - i
	for ; i+8 <= j; i += 8 {
		h = hashWord(h, binary.LittleEndian.Uint64(b[i:]))
	}
	var x uint64
	if i+8 <= len(b) {
		x = binary.LittleEndian.Uint64(b[i:]) & (1<<(8*(j-i)) - 1)
	} else {
		for k := j - 1; k >= i; k-- {
			x = x<<8 | uint64(b[k])
		}
	}
	return hashEnd(hashWord(h, x), n)
}

func hashWord(h, x uint64) uint64 {
	h = (h ^ (x | caseBits)) * hashPrime
	return h ^ h>>32
}

func hashEnd(h uint64, n int) uint64 { return (h ^ uint64(n)) * hashPrime }

// quickKey reads the member name at i with one load when it is at most 7
// printable ASCII bytes (the common case): it returns the name's length and
// its foldHash, or ok false to take the general path (walker.key).
func quickKey(b []byte, i int) (n int, h uint64, ok bool) {
	if i+9 > len(b) || b[i] != '"' {
		return 0, 0, false
	}
	x := binary.LittleEndian.Uint64(b[i+1:])
	n = bits.TrailingZeros64(stringStop(x)) >> 3 // 8 if none
	if n == 8 || b[i+1+n] != '"' {
		return 0, 0, false
	}
	return n, hashEnd(hashWord(hashOffset, x&(1<<(8*n)-1)), n), true
}

// keyHash returns the hash of key's folded form: keys equal under folding
// hash equal. scratch is for folding.
func keyHash(key string, scratch *[]byte) uint64 {
	b := unsafe.Slice(unsafe.StringData(key), len(key)) // read only
	for _, c := range b {
		if c >= utf8.RuneSelf {
			*scratch = appendFold((*scratch)[:0], key)
			return foldHash(*scratch, 0, len(*scratch))
		}
	}
	return foldHash(b, 0, len(b))
}

// litEdge is one literal key of a matcher state, in an open-addressing
// table: next is -1 in an empty slot.
type litEdge struct {
	hash uint64
	lit  string // folded
	next int32
}

// maxLits is the number of literal keys up to which a state gets a table;
// a state with more is searched through its map.
const maxLits = 64

// indexKeys gives each state with literal keys a hash table of them, sized a
// power of two at least twice their number, probed from the hash's top bits.
func (d *dfa) indexKeys() {
	var scratch []byte
	for i := range d.states {
		st := &d.states[i]
		if len(st.keys) == 0 || len(st.keys) > maxLits {
			continue
		}
		size := 2
		for size < 2*len(st.keys) {
			size *= 2
		}
		st.lits = make([]litEdge, size)
		for j := range st.lits {
			st.lits[j].next = -1
		}
		shift := 64 - bits.TrailingZeros(uint(size))
		for _, lit := range slices.Sorted(maps.Keys(st.keys)) {
			h := keyHash(lit, &scratch)
			j := int(h >> shift)
			for st.lits[j].next >= 0 {
				j = (j + 1) & (size - 1)
			}
			st.lits[j] = litEdge{h, lit, st.keys[lit]}
		}
	}
}

// stepHashed is stepKey for a key whose keyHash is h.
func (d *dfa) stepHashed(s int32, key string, h uint64, scratch *[]byte) int32 {
	st := &d.states[s]
	if st.keys == nil {
		return st.other
	}
	if st.lits == nil {
		return d.stepKey(s, key, scratch)
	}
	mask := len(st.lits) - 1
	for j := int(h >> (64 - bits.TrailingZeros(uint(len(st.lits))))); ; j = (j + 1) & mask {
		e := &st.lits[j]
		if e.next < 0 {
			return st.other
		}
		if e.hash != h {
			continue
		}
		// The key matches if its folded form is the literal: it is its
		// own folded form unless needsFold says otherwise.
		if e.lit == key {
			return e.next
		}
		if needsFold(key) {
			*scratch = appendFold((*scratch)[:0], key)
			if e.lit == unsafe.String(unsafe.SliceData(*scratch), len(*scratch)) {
				return e.next
			}
		}
		// Another literal may share the hash; it cannot share the text.
	}
}
