package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The matcher is a DFA built once per policy by subset construction over the
// rules' path patterns. Each walk step costs one map lookup at most, whatever
// the number of rules.

// maxStates bounds the DFA so a policy of many `**` rules fails at load time
// instead of exhausting memory.
const maxStates = 1 << 14

// none is the priority of "no rule": below the default rule's priority 0.
const none = -1

type dfaState struct {
	keys  map[string]int32 // folded literal key → next state
	lits  []litEdge        // keys again, with hashes, when there are few (scan_match.go)
	index map[int]int32    // array index named by a numeric literal → next state
	other int32            // any other key
	elem  int32            // any other array element
	// accept is the priority of the best rule matching a node in this state.
	accept int32
	// below is the best priority any rule could still reach at a strict
	// descendant; when it cannot beat the deciding rule, the subtree is decided.
	below int32
	// belowKept is below counting only rules that are not drops: when it
	// cannot beat a transformation deciding an object, the object can go
	// whole, since what the drops would take is hidden with the rest.
	belowKept int32
	// cats are the rules whose category segment could match a child of this
	// state, with their categories; catMask is those categories. A category
	// segment is always last, so it decides the child it matches and never
	// leads to another state: it adds an accept to the step, not an edge.
	cats    []catRule
	catMask CategorySet
	catKept int32 // the best of cats that does not drop: below it, a dropped value stays dropped
}

type catRule struct {
	cat  Category
	rule int32
}

// catAccept returns the best rule of state s that a child in categories cs
// matches, or none.
func (st *dfaState) catAccept(cs CategorySet) int32 {
	best := int32(none)
	for _, c := range st.cats {
		if cs.Has(c.cat) {
			best = max(best, c.rule)
		}
	}
	return best
}

type position struct{ rule, seg int32 }

type dfa struct {
	states []dfaState // states[0] is dead: no rule can match at or below it
	root   int32
}

// buildDFA compiles patterns, indexed by rule priority, into a DFA; drops
// says which rules drop.
func buildDFA(pats []pattern, drops []bool) (*dfa, error) {
	d := &dfa{states: []dfaState{{other: 0, elem: 0, accept: none, below: none, belowKept: none, catKept: none}}}
	ids := map[string]int32{"": 0}
	var queue [][]position

	// intern returns the state for a set of positions, adding it if new.
	intern := func(set []position) (int32, error) {
		set = closure(pats, set)
		k := setKey(set)
		if id, ok := ids[k]; ok {
			return id, nil
		}
		if len(d.states) == maxStates {
			return 0, fmt.Errorf("policy too complex: its paths need more than %d matcher states; use fewer ** patterns", maxStates)
		}
		id := int32(len(d.states))
		ids[k] = id
		d.states = append(d.states, dfaState{})
		queue = append(queue, set)
		return id, nil
	}

	var start []position
	for r := range pats {
		if len(pats[r].segs) > 0 {
			start = append(start, position{int32(r), 0})
		}
	}
	root, err := intern(start)
	if err != nil {
		return nil, err
	}
	d.root = root
	for id := int32(1); len(queue) > 0; id++ {
		set := queue[0]
		queue = queue[1:]
		st := dfaState{accept: none, below: none, belowKept: none, catKept: none}
		lits := map[string]int{}
		for _, p := range set {
			segs := pats[p.rule].segs
			if int(p.seg) == len(segs) {
				st.accept = max(st.accept, p.rule)
				continue
			}
			st.below = max(st.below, p.rule)
			if !drops[p.rule] {
				st.belowKept = max(st.belowKept, p.rule)
			}
			switch s := segs[p.seg]; s.kind {
			case segLit:
				lits[s.lit] = s.idx
			case segCat:
				st.catMask = st.catMask.With(s.id)
				st.cats = append(st.cats, catRule{s.id, p.rule})
				if !drops[p.rule] {
					st.catKept = max(st.catKept, p.rule)
				}
			}
		}
		if st.other, err = intern(advance(pats, set, stepOther)); err != nil {
			return nil, err
		}
		if st.elem, err = intern(advance(pats, set, stepElem)); err != nil {
			return nil, err
		}
		for _, lit := range slices.Sorted(maps.Keys(lits)) {
			t, err := intern(advance(pats, set, step{key: lit, idx: -1}))
			if err != nil {
				return nil, err
			}
			if t != st.other {
				if st.keys == nil {
					st.keys = map[string]int32{}
				}
				st.keys[lit] = t
			}
			if n := lits[lit]; n >= 0 {
				if t, err = intern(advance(pats, set, step{idx: n, elem: true})); err != nil {
					return nil, err
				}
				if t != st.elem {
					if st.index == nil {
						st.index = map[int]int32{}
					}
					st.index[n] = t
				}
			}
		}
		d.states[id] = st
	}
	d.indexKeys()
	return d, nil
}

// step is one move down the document: into an object member or array element.
type step struct {
	key  string // folded key; "" with elem false means "a key no literal names"
	idx  int    // array index, or -1 for "an index no literal names"
	elem bool
}

var (
	stepOther = step{idx: -1}
	stepElem  = step{idx: -1, elem: true}
)

func advance(pats []pattern, set []position, s step) []position {
	var next []position
	for _, p := range set {
		segs := pats[p.rule].segs
		if int(p.seg) == len(segs) {
			continue
		}
		seg := segs[p.seg]
		var ok bool
		switch seg.kind {
		case segLit:
			if s.elem {
				ok = s.idx >= 0 && seg.idx == s.idx
			} else {
				ok = s.key != "" && seg.lit == s.key
			}
		case segElem:
			ok = s.elem
		case segAny:
			ok = true
		case segDeep:
			next = append(next, p) // consume the step and stay
		case segCat:
			// Decided by the step's categories (dfaState.cats), not its key.
		}
		if ok {
			next = append(next, position{p.rule, p.seg + 1})
		}
	}
	return next
}

// closure adds, for every position before a `**`, the position after it
// (`**` matches zero steps too), and returns the set sorted and deduplicated.
func closure(pats []pattern, set []position) []position {
	for i := 0; i < len(set); i++ {
		p := set[i]
		segs := pats[p.rule].segs
		if int(p.seg) < len(segs) && segs[p.seg].kind == segDeep {
			set = append(set, position{p.rule, p.seg + 1})
		}
	}
	slices.SortFunc(set, func(a, b position) int {
		if a.rule != b.rule {
			return int(a.rule - b.rule)
		}
		return int(a.seg - b.seg)
	})
	return slices.Compact(set)
}

func setKey(set []position) string {
	var b strings.Builder
	for _, p := range set {
		b.WriteString(strconv.Itoa(int(p.rule)))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(p.seg)))
		b.WriteByte(',')
	}
	return b.String()
}

// stepKey moves from state s into the member named key (decoded, unfolded).
func (d *dfa) stepKey(s int32, key string, scratch *[]byte) int32 {
	st := &d.states[s]
	if st.keys == nil {
		return st.other
	}
	if needsFold(key) {
		*scratch = appendFold((*scratch)[:0], key)
		if t, ok := st.keys[string(*scratch)]; ok {
			return t
		}
		return st.other
	}
	if t, ok := st.keys[key]; ok {
		return t
	}
	return st.other
}

// stepElem moves from state s into array element i.
func (d *dfa) stepElem(s int32, i int) int32 {
	st := &d.states[s]
	if st.index != nil {
		if t, ok := st.index[i]; ok {
			return t
		}
	}
	return st.elem
}
