package rules

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/tidwall/gjson"
)

// The scanner reads the document once, front to back, and writes the output
// as it goes. It validates as it reads (strict JSON, UTF-8 in strings, paired
// surrogate escapes, the depth limit) and checks every object for duplicate
// keys at every depth. It never recurses: open containers live on an explicit
// stack, bounded by the depth limit, so no input can exhaust the goroutine
// stack. Each byte is read once, eight at a time inside strings (member
// names are also hashed, and an escaped name or transformed string is
// decoded from its raw text); a subtree that is kept or dropped whole is
// scanned by skip and copied as one raw slice.

// errStop marks a document the scanner refused for any reason other than a
// duplicate key; refuse then says which.
var errStop = errors.New("rules: scan stopped")

// frame is one container open on the walker's stack.
type frame struct {
	st, eff int32 // matcher state and deciding rule of the container
	start   int   // len(out) before the container's opening byte
	in      int   // the index of the container's opening byte
	before  int   // len(out) before the current member or element
	n       int   // members or elements written
	idx     int   // index of the next element (arrays)
	mark    int   // len(keys) when the object opened
	amark   int   // len(arena) when the object opened
	nk      int32 // names read in the object's shape (scan_shape.go)
	shape   uint8 // the object's shape slot plus one; 0 for none
	mode    uint8 // shapeNone, shapeMatching or shapeRecording
	obj     bool
	decided bool // an array under a transformation: eff decides each element
}

// fail stops the scan; it returns false for the callers' convenience.
func (w *walker) fail() bool {
	if w.err == nil {
		w.err = errStop
	}
	return false
}

// walk scans the whole document, writing what the partner may receive, and
// reports whether the document is acceptable. It mirrors the tree walk it
// replaced (refWalker, scan_ref_test.go): value (a member or element in
// matcher state st under rule eff), decided (no rule below can override
// eff), object and array (one frame each), close (a container emptied by
// drops is itself dropped) and scalar.
func (w *walker) walk() bool {
	// The state of the value's container, whose category rules may match
	// it (from) is, for the document itself, the root's: a bare category
	// (`@c`, any depth) holds for a document that is a single value too.
	d := w.e.dfa
	return w.run(skipWS(w.s, 0), d.root, 0, false, d.root)
}

// run is walk from the value at i in matcher state st under rule eff, in
// the container of state from. It returns at the document's end or, for a
// helper (scan_split.go), at its array's end.
func (w *walker) run(i int, st, eff int32, decided bool, from int32) bool {
	s := w.s
	d := w.e.dfa
	wrote := false
	for {
		// A value starts at i; write it in state st under rule eff.
		if i >= len(s) {
			return w.fail()
		}
		end, esc := -1, false // a scalar's end, once read
		w.valueCats = 0
		if !decided {
			ds := &d.states[st]
			eff = max(eff, ds.accept)
			// A dropped scalar stays dropped unless a category rule keeps
			// (a container may hold what a higher drop decides).
			if ps := &d.states[from]; ps.catMask != 0 && (ps.catKept > eff || w.e.rules[eff].Action != Drop || s[i] == '{' || s[i] == '[') {
				if eff, end, esc = w.categorize(ps, i, eff); w.err != nil {
					return false
				}
			}
			// Drops below a drop change nothing.
			decided = ds.below <= eff || w.e.rules[eff].Action == Drop && ds.belowKept <= eff
		}
		if c := s[i]; c == '{' || c == '[' {
			a := w.e.rules[eff].Action
			whole := decided && (a == Keep || a == Drop || c == '{')
			if !whole && c == '{' && a != Keep && a != Drop {
				whole = d.states[st].belowKept <= eff // only drops could act inside
			}
			if whole {
				// Kept, dropped or (an object under a transformation:
				// its keys may be personal data) redacted whole.
				start := i
				if i = w.skip(i, st); w.err != nil {
					return false
				}
				w.count(eff)
				switch {
				case a == Drop:
					wrote = false
				case a == Keep && len(w.stack) == 0:
					// The whole document, as gjson.Parse's Raw had it:
					// to the end, trailing whitespace included.
					w.write(s[start:])
					wrote = true
				case a == Keep:
					w.write(s[start:i])
					wrote = true
				default:
					w.write(Redacted)
					wrote = true
				}
				goto next
			}
			if !w.open() {
				return false
			}
			fr := frame{st: st, eff: eff, start: len(w.out), in: i, mark: len(w.keys), amark: len(w.arena), obj: c == '{', decided: decided}
			if fr.obj {
				fr.shape, fr.mode = w.openShape(st)
			}
			w.stack = append(w.stack, fr)
			w.out = append(w.out, c)
			if i = skipWS(s, i+1); i < len(s) && s[i] == c+2 { // '{'+2 is '}', '['+2 is ']'
				i++
				wrote = w.close()
				goto next
			}
			goto member
		} else {
			start := i
			if end < 0 {
				if end, esc = w.scalarEnd(i); w.err != nil {
					return false
				}
			}
			i = end
			wrote = w.scalar(start, i, esc, eff)
		}

	next:
		// The value that ends at i is done; wrote says whether it was written.
		if len(w.stack) == 0 {
			if skipWS(s, i) != len(s) {
				return w.fail()
			}
			if !wrote {
				// The document itself was dropped: send its empty shape.
				switch s[skipWS(s, 0)] {
				case '{':
					w.write("{}")
				case '[':
					w.write("[]")
				default:
					w.write("null")
				}
			}
			return true
		}
		{
			f := &w.stack[len(w.stack)-1]
			if wrote {
				f.n++
			} else {
				w.out = w.out[:f.before]
			}
			if i = skipWS(s, i); i >= len(s) {
				return w.fail()
			}
			switch c := s[i]; {
			case c == ',':
				i = skipWS(s, i+1)
				goto member
			case c == '}' && f.obj || c == ']' && !f.obj:
				if len(w.stack) == w.base {
					w.end = i // a helper's array ends
					return true
				}
				i++
				wrote = w.close()
				goto next
			}
			return w.fail()
		}

	member:
		// The next member or element of the innermost container starts at i.
		{
			f := &w.stack[len(w.stack)-1]
			f.before = len(w.out)
			if f.n > 0 {
				w.out = append(w.out, ',')
			}
			if w.par && !f.obj && i-f.in >= w.e.splitMin/splitProbe {
				w.trySplit(i) // a large array, by now
			}
			if w.watch {
				// A split (scan_split.go): a helper stops when told to, at
				// any depth; the first walker looks for the helper's start.
				if h := w.helping; h != nil {
					if h.abort.Load() {
						return w.fail()
					}
				} else if len(w.stack) == w.watchStack {
					if j, wr := w.checkpoint(i, f); j >= 0 {
						i, wrote = j, wr
						goto next
					}
				}
			}
			eff = f.eff
			switch {
			case f.obj:
				ks := i
				var m *shapeMember
				if f.mode == shapeMatching {
					i, m = w.shapeName(f, i)
				}
				var key string
				var h uint64
				if m == nil {
					var ok bool
					if i, key, h, ok = w.memberKey(i, f.mark); !ok {
						return false
					}
				}
				ke := i
				if i < len(s) && s[i] == ':' {
					// `,"key":` is often in the source as written.
					if f.n > 0 && s[ks-1] == ',' {
						w.out = w.out[:len(w.out)-1]
						w.write(s[ks-1 : i+1])
					} else {
						w.write(s[ks : i+1])
					}
					i = skipWS(s, i+1)
				} else {
					w.write(s[ks:i])
					w.out = append(w.out, ':')
					if i = skipWS(s, i); i >= len(s) || s[i] != ':' {
						return w.fail()
					}
					i = skipWS(s, i+1)
				}
				decided, from = false, f.st
				switch {
				case m != nil:
					st, w.field = m.next, m.field
				default:
					st = d.stepHashed(f.st, key, h, &w.fold)
					if d.states[f.st].catMask != 0 || w.e.cats.spans != nil || w.e.cats.text != nil {
						w.field = w.classify(key, h)
					} else {
						w.field = Field{}
					}
					if f.mode == shapeRecording {
						w.recordShape(f, ks, ke, key, h, st, w.field)
					}
				}
			case f.decided:
				decided, w.field = true, Field{} // an element has no name of its own
			default:
				st, decided, from = d.stepElem(f.st, f.idx), false, f.st
				w.field = Field{}
				f.idx++
			}
		}
	}
}

// open enters a container, refusing one beyond the depth limit.
func (w *walker) open() bool {
	if w.depth >= w.e.maxDepth {
		return w.fail() // refuse finds the offset
	}
	w.depth++
	return true
}

// close ends the innermost container of walk, whose closing byte was read,
// and reports whether it was written.
func (w *walker) close() bool {
	if w.watch && w.helping == nil && len(w.stack) == w.watchStack {
		w.abandon() // the split array ends short of the helper's start
	}
	f := &w.stack[len(w.stack)-1]
	c := byte(']')
	if f.obj {
		c = '}'
		w.leave(f)
		w.closeShape(f)
	}
	w.depth--
	wrote := true
	if f.n == 0 && w.e.rules[f.eff].Action == Drop {
		w.out, wrote = w.out[:f.start], false
	} else {
		w.out = append(w.out, c)
	}
	w.stack = w.stack[:len(w.stack)-1]
	return wrote
}

// leave forgets the keys of the object of frame f.
func (w *walker) leave(f *frame) {
	clear(w.keys[f.mark:])
	w.keys = w.keys[:f.mark]
	w.arena = w.arena[:f.amark]
	if w.depth < len(w.sets) && w.sets[w.depth] != nil {
		clear(w.sets[w.depth])
	}
}

// skip scans the value at i, in matcher state st, which is written or
// dropped whole, checking it as walk would (validity, depth, duplicate keys
// in every object), and returns the index after it.
func (w *walker) skip(i int, st int32) int {
	s := w.s
	base := len(w.stack)
	// Shapes (scan_shape.go) here are found by the name of the member that
	// holds them, as a negative state: apart from walk's, whose members
	// carry matcher states.
	name := ^st
	for {
		// A value starts at i.
		if i >= len(s) {
			w.fail()
			return i
		}
		if c := s[i]; c == '{' || c == '[' {
			if !w.open() {
				return i
			}
			fr := frame{st: name, mark: len(w.keys), amark: len(w.arena), obj: c == '{'}
			if fr.obj {
				fr.shape, fr.mode = w.openShape(name)
			}
			w.stack = append(w.stack, fr)
			if i = skipWS(s, i+1); i < len(s) && s[i] == c+2 {
				i++
				w.pop()
			} else {
				goto member
			}
		} else if i, _ = w.scalarEnd(i); w.err != nil {
			return i
		}

		// The value that ends at i is done.
		for len(w.stack) > base {
			f := &w.stack[len(w.stack)-1]
			if i = skipWS(s, i); i >= len(s) {
				w.fail()
				return i
			}
			switch c := s[i]; {
			case c == ',':
				i = skipWS(s, i+1)
				goto member
			case c == '}' && f.obj || c == ']' && !f.obj:
				i++
				w.pop()
				continue
			}
			w.fail()
			return i
		}
		return i

	member:
		// The next member or element of the innermost container starts at i.
		if f := &w.stack[len(w.stack)-1]; f.obj {
			ks := i
			var m *shapeMember
			if f.mode == shapeMatching {
				i, m = w.shapeName(f, i)
			}
			var h uint64
			if m != nil {
				h = m.hash
			} else {
				var key string
				var ok bool
				if i, key, h, ok = w.memberKey(i, f.mark); !ok {
					return i
				}
				if f.mode == shapeRecording {
					w.recordShape(f, ks, i, key, h, 0, Field{})
				}
			}
			name = ^int32(h >> 33)
			if i = skipWS(s, i); i >= len(s) || s[i] != ':' {
				w.fail()
				return i
			}
			i = skipWS(s, i+1)
		} else {
			name = f.st
		}
	}
}

// pop ends the innermost container of skip.
func (w *walker) pop() {
	if f := &w.stack[len(w.stack)-1]; f.obj {
		w.leave(f)
		w.closeShape(f)
	}
	w.depth--
	w.stack = w.stack[:len(w.stack)-1]
}

// categorize returns eff raised to the best category rule of the container
// state ps that the value at i matches, by its member's name or, for a
// string or number, by its whole text; and the scalar's end if it read it.
func (w *walker) categorize(ps *dfaState, i int, eff int32) (int32, int, bool) {
	cs := w.field.Categories & ps.catMask
	end, esc := -1, false
	w.valueCats = 0
	if v := w.e.cats.values; v != nil && ps.catMask&w.e.cats.detected != 0 {
		if c := w.s[i]; c == '"' || v.numbers && (c == '-' || c >= '0' && c <= '9') {
			if end, esc = w.scalarEnd(i); w.err != nil {
				return eff, end, esc
			}
			// A value's text is no longer than its JSON: most are too short
			// to be any finding.
			if end-i >= v.minLen {
				var text string
				if c == '"' {
					text = w.strText(i, end, esc)
				} else {
					text = numberText(w.s[i:end])
				}
				if f, ok := v.Match(text, w.field); ok {
					cs |= f.Categories & ps.catMask
					w.valueCats = f.Categories
				}
			}
		}
	}
	if cs != 0 {
		eff = max(eff, ps.catAccept(cs))
	}
	return eff, end, esc
}

// scalar writes the string, number, boolean or null s[start:end] under rule
// eff; esc says whether a string holds escapes.
func (w *walker) scalar(start, end int, esc bool, eff int32) bool {
	w.count(eff)
	r := &w.e.rules[eff]
	w.disclose(w.field.Categories|w.valueCats, r.Action)
	switch r.Action {
	case Keep:
		// A string shorter than any finding goes as it is, as spans
		// would send it.
		if sc := w.e.cats.spans; sc != nil && w.s[start] == '"' && w.e.cats.spanMax > eff && end-start >= sc.minLen {
			w.spanEff = eff
			w.spans(start, end, esc, sc)
			break
		}
		w.write(w.s[start:end])
	case Scan:
		w.spanEff = none
		w.spans(start, end, esc, w.e.cats.text)
	case Drop:
		return false
	case Redact:
		w.write(Redacted)
	default:
		v := &w.val
		w.result(v, start, end, esc)
		if revealsText(r.Action) && v.Type == gjson.String {
			v.Str = w.withoutSpans(v.Str, eff)
		}
		out, ok := r.tf.appendTo(w.out, v)
		if w.wrote(out); !ok {
			w.write(Redacted)
		}
	}
	return true
}

// strText returns the decoded text of the string s[start:end] (valid until
// the next call).
func (w *walker) strText(start, end int, esc bool) string {
	str := w.s[start+1 : end-1]
	if esc {
		w.text = appendUnescaped(w.text[:0], str)
		str = unsafe.String(unsafe.SliceData(w.text), len(w.text))
	}
	return str
}

// result sets v to the gjson.Result the transforms read: Type, Raw, and
// for a string Str, its decoded text (valid until the next call).
func (w *walker) result(v *gjson.Result, start, end int, esc bool) {
	raw := w.s[start:end]
	*v = gjson.Result{Type: gjson.Number, Raw: raw}
	switch raw[0] {
	case '"':
		v.Type, v.Str = gjson.String, w.strText(start, end, esc)
	case 't':
		v.Type = gjson.True
	case 'f':
		v.Type = gjson.False
	case 'n':
		v.Type = gjson.Null
	}
}

// memberKey reads the key starting at i, records it for the duplicate check
// of the object whose keys start at mark, and returns the index after it,
// the decoded key and its folded hash; false when the document is refused.
func (w *walker) memberKey(i, mark int) (int, string, uint64, bool) {
	ks := i
	var key string
	var h uint64
	if n, qh, ok := quickKey(w.b, i); ok {
		i, key, h = i+n+2, w.s[i+1:i+1+n], qh
	} else if i, key, h = w.key(i); w.err != nil {
		return i, "", 0, false
	}
	return i, key, h, w.unique(key, h, ks, mark)
}

// key scans the member name at i and returns the index after it, its
// decoded text and its keyHash. An escaped name is decoded into the arena,
// where it stays until its object closes (leave cuts the arena back to the
// object's mark; only names of closed objects are ever overwritten).
func (w *walker) key(i int) (int, string, uint64) {
	s := w.s
	if i >= len(s) || s[i] != '"' {
		w.fail()
		return i, "", 0
	}
	if j := w.plainRun(i + 1); j < len(s) && s[j] == '"' {
		// Printable ASCII only: the common case, hashed in place.
		return j + 1, s[i+1 : j], foldHash(w.b, i+1, j)
	}
	end, esc := w.str(i)
	if w.err != nil {
		return end, "", 0
	}
	key := s[i+1 : end-1]
	if esc {
		n := len(w.arena)
		w.arena = appendUnescaped(w.arena, key)
		key = unsafe.String(unsafe.SliceData(w.arena[n:]), len(w.arena)-n)
	}
	return end, key, keyHash(key, &w.fold)
}

// scalarEnd scans the string, number or literal at i and returns the index
// after it, and for a string whether it holds escapes.
func (w *walker) scalarEnd(i int) (int, bool) {
	s := w.s
	switch c := s[i]; {
	case c == '"':
		if j := w.plainRun(i + 1); j < len(s) && s[j] == '"' {
			return j + 1, false // printable ASCII only: the common case
		}
		return w.str(i)
	case c == '-' || c >= '0' && c <= '9':
		return w.number(i), false
	case c == 't' && len(s)-i >= 4 && s[i:i+4] == "true",
		c == 'n' && len(s)-i >= 4 && s[i:i+4] == "null":
		return i + 4, false
	case c == 'f' && len(s)-i >= 5 && s[i:i+5] == "false":
		return i + 5, false
	}
	w.fail()
	return i, false
}

// number scans the number at i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (w *walker) number(i int) int {
	s := w.s
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i+1)
	default:
		w.fail()
		return i
	}
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			w.fail()
			return j
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			w.fail()
			return j
		}
		i = j
	}
	return i
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// plainByte marks the bytes a string holds as themselves with nothing to check:
// printable ASCII other than '"' and '\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// stringStop sets the high bit of each byte of x (eight string bytes, little
// endian) that ends a plain run: '"', '\', a control byte or a non-ASCII
// byte. The lowest bit set is exact: a borrow only starts at a byte that
// itself stops the run and only runs upwards, so bits above the first stop
// may be spurious, never below it.
func stringStop(x uint64) uint64 {
	q := x ^ (swarOnes * '"')
	b := x ^ (swarOnes * '\\')
	return ((x-swarOnes*0x20)&^x | (q-swarOnes)&^q | (b-swarOnes)&^b | x) & swarHighs
}

// plainRun returns the index of the first byte at or after i that is not
// plain, or len(s), eight bytes at a time.
func (w *walker) plainRun(i int) int {
	b := w.b
	for ; i+8 <= len(b); i += 8 {
		if m := stringStop(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && plainByte[b[i]] {
		i++
	}
	return i
}

// str scans the string whose opening quote is at i and returns the index
// after its closing quote and whether it holds escapes. It refuses control
// bytes, bad escapes, invalid UTF-8 and unpaired surrogate escapes.
func (w *walker) str(i int) (int, bool) {
	s := w.s
	esc := false
	for i++; ; {
		if i = w.plainRun(i); i >= len(s) {
			w.fail()
			return i, esc
		}
		switch c := s[i]; {
		case c == '"':
			return i + 1, esc
		case c == '\\':
			esc = true
			if i+1 >= len(s) {
				w.fail()
				return i, esc
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := hexRune(s, i+2)
				if !ok {
					w.fail()
					return i, esc
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// Only a high half directly followed by a low half.
					lo, ok := rune(0), false
					if r < 0xDC00 && len(s)-i >= 6 && s[i] == '\\' && s[i+1] == 'u' {
						lo, ok = hexRune(s, i+2)
					}
					if !ok || lo < 0xDC00 || lo > 0xDFFF {
						w.fail()
						return i, esc
					}
					i += 6
				}
			default:
				w.fail()
				return i, esc
			}
		case c < 0x20:
			w.fail()
			return i, esc
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				w.fail()
				return i, esc
			}
			i += size
		}
	}
}

// hexRune reads the four hex digits at s[i:].
func hexRune(s string, i int) (rune, bool) {
	if len(s)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendUnescaped appends the text of the body of a JSON string the scanner
// accepted (escapes well formed, surrogate escapes paired), decoded as gjson
// decodes it.
func appendUnescaped(dst []byte, raw string) []byte {
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			j := i + 1
			for j < len(raw) && raw[j] != '\\' {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
			continue
		}
		switch c := raw[i+1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hexRune(raw, i+2)
			if utf16.IsSurrogate(r) {
				lo, _ := hexRune(raw, i+8)
				r = utf16.DecodeRune(r, lo)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		i += 2
	}
	return dst
}

// wsByte marks JSON's four whitespace bytes.
var wsByte = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

func skipWS(s string, i int) int {
	for i < len(s) && wsByte[s[i]] {
		i++
	}
	return i
}
