package rules

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Rewrite validates the JSON document src and appends to dst the document the
// partner may receive. tally, if not nil, must come from NewTally. On error
// nothing usable is appended: the caller forwards nothing (and the tally may
// hold counts of the part read before the error).
//
// One pass (scan.go) validates, checks duplicates and writes the output. It
// accepts exactly the documents that pass the checks refuse runs, and when it
// stops, refuse names the problem as those checks do, in their order.
func (e *Engine) Rewrite(dst, src []byte, tally Tally) ([]byte, error) {
	return e.RewriteDisclosing(dst, src, tally, nil)
}

// Disclosed is what categories of personal data a rewrite sent: the
// categories the engine recognised (by field name or by value) in the
// values it kept, and in those it transformed (masked, generalized,
// pseudonymized, tokenized). Redacted and dropped values count in neither.
// Values are recognised where the policy classifies them: everywhere when
// it has a bare category rule or floor (every gateway policy has the
// credentials floor unless it says floor none).
type Disclosed struct {
	Clear, Transformed CategorySet
}

// RewriteDisclosing is Rewrite that also adds to d (if not nil) the
// categories the rewrite sent.
func (e *Engine) RewriteDisclosing(dst, src []byte, tally Tally, d *Disclosed) ([]byte, error) {
	w := e.walkers.Get().(*walker)
	out, err := e.rewriteWith(w, dst, src, tally, d)
	e.walkers.Put(w)
	return out, err
}

// rewriteWith is RewriteDisclosing with the walker w.
func (e *Engine) rewriteWith(w *walker, dst, src []byte, tally Tally, d *Disclosed) ([]byte, error) {
	// The bytes are not modified while the string is in use.
	w.s, w.b = unsafe.String(unsafe.SliceData(src), len(src)), src
	w.out, w.tally, w.disclosed = dst, tally, d
	if e.splitMin > 0 && len(src) >= e.splitMin {
		w.par = e.mayShare()
		defer w.endLarge()
	}
	ok := w.walk()
	out, err := w.out, w.err
	w.reset()
	if !ok {
		return dst, e.refuse(src, err)
	}
	return out, nil
}

// errDisagree is returned if the scanner refused a document that every check
// accepts. It is not an InputError: it would be a bug, and the fuzz targets
// fail on it.
var errDisagree = errors.New("rules: the scanner refused a document the checks accept")

// refuse says why the scanner stopped on src. These checks define what is
// accepted, in their order of precedence: a byte order mark, nesting deeper
// than maxDepth and lone surrogate escapes (prescan: iterative, so it runs
// first on any input), then UTF-8, then strict JSON (gjson.Valid: recursive,
// and safe once prescan has bounded the depth), then duplicate keys, which
// the scanner finds in document order.
func (e *Engine) refuse(src []byte, scanErr error) error {
	if err := prescan(src, e.maxDepth); err != nil {
		return err
	}
	if !utf8.Valid(src) {
		return &InputError{"invalid-utf8", "body is not valid UTF-8"}
	}
	if !gjson.Valid(unsafe.String(unsafe.SliceData(src), len(src))) {
		return &InputError{"malformed", "body is not a single valid JSON document"}
	}
	var ie *InputError
	if errors.As(scanErr, &ie) && ie.Kind == "duplicate-key" {
		return ie
	}
	return errDisagree
}

// walker holds one rewrite's state; pooled per engine so a rewrite of any
// size allocates almost nothing.
type walker struct {
	e     *Engine
	s     string // the document
	b     []byte // the same bytes
	out   []byte
	tally Tally
	err   error                 // why the scan stopped: errStop or a duplicate key
	stack []frame               // containers open around the current position
	keys  []keyEntry            // members seen so far, for every object open on the stack
	sets  []map[string]struct{} // per depth, for objects too large for a linear scan
	depth int
	fold  []byte // scratch for case folding a key
	arena []byte // decoded escaped keys of the objects open on the stack
	text  []byte // scratch: the decoded escaped string handed to a transform
	// val is the value handed to a transform, by pointer: the 80-byte
	// gjson.Result copied into every call cost more than the short transforms.
	val     gjson.Result
	spanVal gjson.Result // the same for a span, which a value's transform may hold
	// field is what the taxonomy makes of the current member's name;
	// valueCats what the detectors made of the current value as a whole.
	field      Field
	valueCats  CategorySet
	disclosed  *Disclosed // nil: not asked
	replace    Replacer   // replaceSpan, bound once
	spanBuf    []byte     // scratch: one span's replacement
	spanEff    int32      // the rule that kept the text being rewritten, or none for scan
	finds      []Finding  // scratch: the findings in one string
	plain      []byte     // scratch: a string with its spans replaced, for a transformation
	fields     *fieldCache
	shapes     [shapeSlots]shape // scan_shape.go
	shapesOpen uint32            // a bit per slot an open object holds
	// Splitting a large array with a helper (scan_split.go).
	par        bool   // the document may still be split
	watch      bool   // a split is under way: this walker offered it or helps
	watchStack int    // the stack's length inside the split array
	split      *split // the split this walker offers (splitState)
	helping    *split // for a helper, the split it runs
	base       int    // for a helper, 1: it stops at its array's end...
	end        int    // ...which is here
}

// maxPooledScratch bounds the scratch buffers a pooled walker keeps.
const maxPooledScratch = 64 << 10

func (w *walker) reset() {
	clear(w.keys)
	w.closeShapes()
	for _, set := range w.sets {
		clear(set) // after an error, objects were left open
	}
	w.s, w.b, w.out, w.tally, w.err, w.depth, w.field, w.disclosed = "", nil, nil, nil, nil, 0, Field{}, nil
	w.val, w.spanVal = gjson.Result{}, gjson.Result{} // they point into the document
	w.par = false
	w.keys, w.stack = w.keys[:0], w.stack[:0]
	w.arena, w.text = w.arena[:0], w.text[:0]
	if cap(w.arena) > maxPooledScratch {
		w.arena = nil
	}
	if cap(w.text) > maxPooledScratch {
		w.text = nil
	}
	if cap(w.plain) > maxPooledScratch || cap(w.spanBuf) > maxPooledScratch {
		w.plain, w.spanBuf = nil, nil
	}
	if cap(w.finds) > maxPooledScratch/int(unsafe.Sizeof(Finding{})) {
		w.finds = nil
	}
}

// write appends s to the output. When the room is there it stores only the
// slice's length: append stores the pointer back too, and so pays the
// garbage collector's write barrier while a collection marks, which in a
// busy gateway is a fifth of the time.
func (w *walker) write(s string) {
	if n := len(w.out); len(s) <= cap(w.out)-n {
		w.out = w.out[:n+len(s)]
		copy(w.out[n:], s)
		return
	}
	w.out = append(w.out, s...)
}

// wrote takes out, the output with something appended to it, back as the
// output, storing only its length when it is the same array (see write).
func (w *walker) wrote(out []byte) {
	if cap(out) == cap(w.out) && unsafe.SliceData(out) == unsafe.SliceData(w.out) {
		w.out = w.out[:len(out)]
		return
	}
	w.out = out
}

func (w *walker) count(rule int32) {
	if w.tally != nil {
		w.tally[rule]++
	}
}

// smallObject is the member count up to which duplicates are found by a
// linear scan; larger objects use a set, so a million members stay O(n).
const smallObject = 16

// keyEntry is a member name seen in an open object: decoded, with its keyHash.
type keyEntry struct {
	key  string
	hash uint64
}

// unique records the decoded key of the member at byte offset off, in the
// object whose members start at keys[mark], and fails the rewrite if the
// object already had it (compared decoded and case-folded). h is keyHash(key):
// keys that differ in hash differ under folding.
func (w *walker) unique(key string, h uint64, off, mark int) bool {
	n := len(w.keys) - mark
	if n < smallObject {
		for _, prev := range w.keys[mark:] {
			if prev.hash == h && sameKey(prev.key, key) {
				return w.duplicate(off)
			}
		}
		w.keys = append(w.keys, keyEntry{key, h})
		return true
	}
	for len(w.sets) <= w.depth {
		w.sets = append(w.sets, nil)
	}
	set := w.sets[w.depth]
	if set == nil {
		set = make(map[string]struct{}, 2*smallObject)
		w.sets[w.depth] = set
	}
	if len(set) == 0 {
		for _, prev := range w.keys[mark:] {
			set[w.folded(prev.key)] = struct{}{}
		}
	}
	f := w.folded(key)
	if _, dup := set[f]; dup {
		return w.duplicate(off)
	}
	set[f] = struct{}{}
	return true
}

// folded returns foldString(key), folding into the arena rather than a new
// string: the set it goes into is cleared when the object closes, which is
// also when the arena is cut back to the object's mark.
func (w *walker) folded(key string) string {
	if !needsFold(key) {
		return key
	}
	n := len(w.arena)
	w.arena = appendFold(w.arena, key)
	return unsafe.String(unsafe.SliceData(w.arena[n:]), len(w.arena)-n)
}

func (w *walker) duplicate(off int) bool {
	w.err = &InputError{"duplicate-key", fmt.Sprintf("duplicate key at byte offset %d (keys are compared decoded and case-insensitively)", off)}
	return false
}

// prescan rejects what gjson does not: a byte order mark, nesting deeper
// than maxDepth (checked without recursion; refuse runs it before gjson.Valid,
// which recurses) and escaped UTF-16 surrogates that do not pair up.
func prescan(b []byte, maxDepth int) error {
	if bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
		return &InputError{"bom", "body starts with a byte order mark"}
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			end, err := skipString(b, i+1)
			if err != nil {
				return err
			}
			i = end
		case '{', '[':
			depth++
			if depth > maxDepth {
				return &InputError{"too-deep", fmt.Sprintf("body nests deeper than %d levels at byte offset %d", maxDepth, i)}
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// skipString returns the index of the quote closing the string whose first
// content byte is at i, checking its \u escapes for lone surrogates.
func skipString(b []byte, i int) (int, error) {
	for i < len(b) {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b), nil // unterminated: gjson.Valid rejects it
		}
		esc := bytes.IndexByte(b[i:i+q], '\\')
		if esc < 0 {
			return i + q, nil
		}
		i += esc + 1 // the byte after the backslash
		if i >= len(b) {
			return i, nil
		}
		if b[i] == 'u' {
			r, ok := hex4(b, i+1)
			if ok && r >= 0xD800 && r <= 0xDFFF {
				lo, okLo := rune(0), false
				if r <= 0xDBFF && i+6 < len(b) && b[i+5] == '\\' && b[i+6] == 'u' {
					lo, okLo = hex4(b, i+7)
				}
				if !okLo || lo < 0xDC00 || lo > 0xDFFF {
					return i, &InputError{"lone-surrogate", fmt.Sprintf("body has an unpaired UTF-16 surrogate escape at byte offset %d", i-1)}
				}
				i += 6 // the low half
			}
			i += 4
		}
		i++
	}
	return i, nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(n), err == nil
}
