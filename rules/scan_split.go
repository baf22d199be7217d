package rules

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// A large array is walked by two walkers at once when a core is free: the
// rewrite's own walker from the front, and a helper from an element near
// the middle of what is left, found by the bytes an element starts with. The helper
// writes the elements from there to the array's end into a buffer of its
// own. When the first walker reaches the helper's starting byte as the
// start of an element of that same array, every byte before it has been
// checked, so the helper's walk from there is exactly the one it would have
// made: it appends the helper's output, counts and categories, and goes on
// after the array. Anything else (the guess fell inside a string or a
// deeper container, the helper refused its part, no helper was idle, or it
// had not started yet) leaves the first walker to walk the rest itself, so
// the result, refusals and their offsets included, is always the
// one-walker result.

// splitMin is the least document that may be split: below it, waking a
// helper and an idle core (tens of µs in a busy gateway) can cost what half
// the walk saves. At 64 KB the split sped BenchmarkRewrite 1.5x but slowed
// the load test's 1-in-flight requests; at 256 KB it sped both.
const splitMin = 128 << 10

// largeRewrites counts the rewrites of documents of splitMin or more under
// way in the process. A document is split only while they are at most half
// the cores: under load a helper saves no time, only holds its output until
// its walker comes for it (which, at 256 in flight, had cost 60-90 MB).
var largeRewrites atomic.Int32

// mayShare counts a large rewrite in and reports whether it may be split.
func (e *Engine) mayShare() bool {
	n := int(largeRewrites.Add(1))
	procs := runtime.GOMAXPROCS(0) // it may change while the process runs
	return e.splitSync || procs > 1 && n <= max(1, procs/2)
}

// An array is considered for a split once the walker is 1/splitProbe of
// splitMin (16 KiB) into it, with half of splitMin still to go: a small
// array (tags before the records, say) must not spend the document's one
// split on a guess past its end.
const splitProbe = 8

// splitPrefixMax bounds the opening bytes (an element's `{` up to its first
// member's colon) searched for.
const splitPrefixMax = 48

// The states of a split.
const (
	splitIdle      int32 = iota // no helper asked, or the last one resolved
	splitPending                // offered to the helpers, not claimed
	splitRunning                // claimed by a helper, which sends on done
	splitCancelled              // withdrawn before a helper claimed it
)

// split is one array handed to a helper. It belongs to the walker that
// offers it and is reused for its next document.
type split struct {
	_     [128]byte // off its neighbours' cache lines (splitState)
	state atomic.Int32
	abort atomic.Bool // the helper should stop: its guess was wrong
	done  chan struct{}

	// The job, set before state becomes pending.
	e       *Engine
	s       string
	b       []byte
	at      int // the byte the helper starts at: an element's first
	depth   int // the first walker's depth, the array counted
	st, eff int32
	decided bool
	count   bool // whether to tally
	cats    bool // whether to collect categories
	wait    bool // Engine.splitSync

	used bool // the first walker used the helper's part (for tests)

	// The helper's result, read once it has sent on done.
	ok        bool
	end       int // the index of the array's `]`
	n         int // elements written
	out       *[]byte
	tally     Tally
	disclosed Disclosed
	_         [128]byte
}

// helperJobs hands splits to the helper goroutines, GOMAXPROCS-1 of them
// (at least one), started at the first split. A send succeeds only when
// one is idle.
var (
	helperJobs  chan *split
	helpersOnce sync.Once
)

func startHelpers() {
	helperJobs = make(chan *split)
	for range max(1, runtime.GOMAXPROCS(0)-1) {
		go func() {
			for sp := range helperJobs {
				if sp.state.CompareAndSwap(splitPending, splitRunning) {
					sp.run()
					sp.done <- struct{}{}
				}
			}
		}()
	}
}

// splitBufs holds the helpers' output buffers.
var splitBufs sync.Pool // of *[]byte

// maxSplitBuf bounds the helper buffers kept for reuse.
const maxSplitBuf = 4 << 20

// trySplit considers splitting the innermost array, at least
// splitMin/splitProbe bytes long so far, whose next element starts at i.
func (w *walker) trySplit(i int) {
	w.par = false // one split per document
	s := w.s
	rest := len(s) - i
	if rest <= 0 || rest < w.e.splitMin/2 || s[i] != '{' {
		return
	}
	f := &w.stack[len(w.stack)-1]
	if !f.decided && w.e.dfa.states[f.st].index != nil {
		return // an element's state depends on its index
	}
	n := strings.IndexByte(s[i:min(len(s), i+splitPrefixMax)], ':')
	if n < 0 {
		return
	}
	// The first match that follows a comma (after a colon, it opens a
	// member's object) a little before the middle: the helper starts late.
	prefix, at := s[i:i+n+1], i+rest*9/20
	for {
		j := strings.Index(s[at:], prefix)
		if j < 0 {
			return
		}
		if at += j; s[lastNonWS(s, at)] == ',' {
			break
		}
		at++
	}
	if len(s)-at < w.e.splitMin/4 {
		return
	}
	helpersOnce.Do(startHelpers)
	sp := w.splitState()
	sp.e, sp.s, sp.b, sp.at, sp.depth = w.e, s, w.b, at, w.depth
	sp.st, sp.eff, sp.decided = f.st, f.eff, f.decided
	sp.count, sp.cats, sp.wait, sp.used = w.tally != nil, w.disclosed != nil, w.e.splitSync, false
	sp.abort.Store(false)
	sp.state.Store(splitPending)
	if sp.wait {
		helperJobs <- sp
	} else {
		select {
		case helperJobs <- sp:
			// The helper is readied on this core: yield it, so that it
			// starts now and this walker goes on on the idle one.
			runtime.Gosched()
		default:
			// No helper was idle, but one that took an earlier offer of
			// sp late may have claimed this one.
			if sp.state.CompareAndSwap(splitPending, splitCancelled) {
				sp.s, sp.b = "", nil
				return
			}
		}
	}
	w.watch, w.watchStack = true, len(w.stack)
}

// lastNonWS returns the index of the last byte before i that is not JSON
// whitespace, or 0.
func lastNonWS(s string, i int) int {
	for i--; i > 0; i-- {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
		default:
			return i
		}
	}
	return 0
}

// checkpoint is called at each element of the split array once f.before
// is set and the separator written. It returns -1 to walk the element at i,
// or the index of the array's `]` once the helper's elements were added to
// the output, with whether any was written.
func (w *walker) checkpoint(i int, f *frame) (int, bool) {
	sp := w.splitState()
	if i != sp.at {
		return -1, false
	}
	w.watch = false
	if !sp.finish() {
		return -1, false
	}
	wrote := sp.n > 0
	if wrote {
		w.out = append(w.out, *sp.out...)
		f.n += sp.n - 1 // walk's next counts one
	}
	if sp.count {
		for r, n := range sp.tally {
			w.tally[r] += n
		}
	}
	if sp.cats {
		w.disclosed.Clear |= sp.disclosed.Clear
		w.disclosed.Transformed |= sp.disclosed.Transformed
	}
	end := sp.end
	sp.used = true
	sp.release()
	return end, wrote
}

// finish resolves sp at its starting byte: it withdraws an unclaimed split,
// or waits for the helper; true if the helper's part is there to use.
func (sp *split) finish() bool {
	if !sp.wait && sp.state.CompareAndSwap(splitPending, splitCancelled) {
		sp.s, sp.b = "", nil
		return false
	}
	<-sp.done
	if !sp.ok {
		sp.release()
	}
	return sp.ok
}

// abandon resolves a split the first walker will not use: the array closed
// without reaching the starting byte as an element, or the walk stopped.
// The helper is stopped and waited for: it reads the document, which the
// caller may reuse once the rewrite returns.
func (w *walker) abandon() {
	w.watch = false
	sp := w.splitState()
	if !sp.wait && sp.state.CompareAndSwap(splitPending, splitCancelled) {
		sp.s, sp.b = "", nil
		return
	}
	sp.abort.Store(true)
	<-sp.done
	sp.release()
}

// release returns the helper's buffer and leaves sp idle.
func (sp *split) release() {
	if sp.out != nil {
		if cap(*sp.out) <= maxSplitBuf {
			*sp.out = (*sp.out)[:0]
			splitBufs.Put(sp.out)
		}
		sp.out = nil
	}
	sp.s, sp.b = "", nil
	sp.state.Store(splitIdle)
}

// run is the helper: it walks the elements from sp.at to the array's end.
// A panic (a bug) fails the part rather than the process; the first walker
// then walks it itself.
func (sp *split) run() {
	e := sp.e
	h := e.walkers.Get().(*walker)
	buf, _ := splitBufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	sp.ok = false
	defer func() {
		if recover() != nil {
			sp.ok = false
			h = e.walkers.New().(*walker) // drop the one the panic left
		}
		*buf, sp.out = h.out, buf
		h.helping, h.watch, h.base = nil, false, 0
		h.reset()
		e.walkers.Put(h)
	}()
	h.s, h.b, h.out, h.depth = sp.s, sp.b, (*buf)[:0], sp.depth
	if sp.count {
		if len(sp.tally) != len(e.rules) {
			sp.tally = e.NewTally()
		}
		clear(sp.tally)
		h.tally = sp.tally
	}
	sp.disclosed = Disclosed{}
	if sp.cats {
		h.disclosed = &sp.disclosed
	}
	h.helping, h.watch, h.base = sp, true, 1
	h.stack = append(h.stack, frame{st: sp.st, eff: sp.eff, decided: sp.decided})
	st := sp.st
	if !sp.decided {
		st = e.dfa.stepElem(sp.st, 0) // the same for every index (trySplit)
	}
	if h.run(sp.at, st, sp.eff, sp.decided, sp.st) {
		sp.ok, sp.end, sp.n = true, h.end, h.stack[0].n
	}
}

// splitState returns w's split. It is allocated apart from the walker and
// padded: a helper reading it on another core must not share a cache line
// with what this walker writes as it goes (that halved both walkers).
func (w *walker) splitState() *split {
	if w.split == nil {
		w.split = &split{done: make(chan struct{}, 1)}
	}
	return w.split
}

// endLarge ends a rewrite counted by mayShare, deferred so that it runs
// even if the walk panicked: a helper still reading the document is stopped
// and joined, since the caller reuses it once the rewrite returns.
func (w *walker) endLarge() {
	if w.watch {
		w.abandon()
	}
	largeRewrites.Add(-1)
}
