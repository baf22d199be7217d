package rules

import (
	"fmt"
	"strings"
)

// A field pattern is a field name written in any style ("email",
// "dateOfBirth", "ip_address"), optionally followed by "*", or preceded by
// "!". Its words must appear in the key in order and adjacent; any words may
// come before them (customerEmail), but after them only tail words
// (email_address, phoneNumber, password_hash, address_line_2), because in a
// compound name the last word says what the value is: emailVerified is a
// flag about an email, not an email. A trailing "*" allows any words after
// (password_confirmation, child_name). "!" makes an exclusion: a key it
// matches gets no category from that match (max_age is not an age).
//
// Among the patterns that match a key, the one starting at the earliest word
// wins, then the longest: user_name is a username (credentials), not a name,
// and email_address is an email, not a postal address.

// tailWords may follow a pattern without changing what the field holds.
var tailWords = []string{
	"address", "addr", "number", "num", "no", "nr", "code", "value", "val",
	"text", "str", "string", "raw", "full", "list", "hash", "hashed",
	"encrypted", "enc", "plain", "original", "orig", "masked",
}

// tailSuffixes are tail words also recognized glued to the word before, as
// in phonenumber or ipaddr.
var tailSuffixes = []string{"address", "addr", "number", "code"}

// fieldPattern is one parsed pattern.
type fieldPattern struct {
	words   []string
	open    bool // trailing *: any words may follow
	exclude bool // leading !: matching keys get nothing from this match
}

// String writes the pattern as it could be given to Extend.
func (p fieldPattern) String() string {
	s := strings.Join(p.words, " ")
	if p.exclude {
		s = "!" + s
	}
	if p.open {
		s += "*"
	}
	return s
}

// parseFieldPattern parses one pattern with the same word splitting that
// field names get.
func parseFieldPattern(p string) (fieldPattern, error) {
	var fp fieldPattern
	s := strings.TrimSpace(p)
	if rest, ok := strings.CutPrefix(s, "!"); ok {
		fp.exclude, s = true, rest
	}
	if rest, ok := strings.CutSuffix(s, "*"); ok {
		fp.open, s = true, rest
	}
	if strings.ContainsRune(s, '*') {
		return fp, fmt.Errorf("field pattern %q: * may only end a pattern", p)
	}
	if strings.ContainsRune(s, '!') {
		return fp, fmt.Errorf("field pattern %q: ! may only start a pattern", p)
	}
	buf, spans := splitWords(s, nil, nil)
	if len(spans) == 0 {
		return fp, fmt.Errorf("field pattern %q has no words (letters or digits)", p)
	}
	if len(spans) > 8 {
		return fp, fmt.Errorf("field pattern %q has %d words; at most 8", p, len(spans))
	}
	for _, w := range spans {
		fp.words = append(fp.words, string(buf[w.start:w.end]))
	}
	return fp, nil
}

// wordInfo is what the matcher knows about one word.
type wordInfo struct {
	id   int32 // trie label, or -1 if no pattern uses the word
	tail bool
}

// matchNode is a trie node; accept says whether a pattern ends here.
type matchNode struct {
	cats    CategorySet
	context detectorSet // context-gated detectors that fields matching here enable
	accept  bool
	open    bool
	exclude bool
}

// fieldMatcher is the compiled form of all categories' field patterns: a
// trie over word ids. Matching a key costs one map lookup per word and one
// per trie step, and allocates nothing for names of up to 128 bytes.
type fieldMatcher struct {
	words  map[string]wordInfo
	edges  map[uint64]int32 // node<<32 | word id → child
	nodes  []matchNode      // nodes[0] is the root
	nextID int32
}

func newFieldMatcher() *fieldMatcher {
	m := &fieldMatcher{words: map[string]wordInfo{}, edges: map[uint64]int32{}, nodes: []matchNode{{}}}
	for _, w := range tailWords {
		m.words[w] = wordInfo{id: -1, tail: true}
	}
	return m
}

// add inserts a pattern for category c. Multi-word patterns are also
// inserted glued into one word (firstname, dateofbirth), as such keys cannot
// be split.
func (m *fieldMatcher) add(p fieldPattern, c Category, ctx detectorSet) {
	m.insert(p.words, p, c, ctx)
	if len(p.words) > 1 {
		m.insert([]string{strings.Join(p.words, "")}, p, c, ctx)
	}
}

func (m *fieldMatcher) insert(words []string, p fieldPattern, c Category, ctx detectorSet) {
	node := int32(0)
	for _, w := range words {
		wi, ok := m.words[w]
		if !ok || wi.id < 0 {
			wi.id = m.nextID
			m.nextID++
			m.words[w] = wi
		}
		e := uint64(node)<<32 | uint64(uint32(wi.id))
		next, ok := m.edges[e]
		if !ok {
			next = int32(len(m.nodes))
			m.nodes = append(m.nodes, matchNode{})
			m.edges[e] = next
		}
		node = next
	}
	n := &m.nodes[node]
	n.accept = true
	n.open = n.open || p.open
	n.exclude = n.exclude || p.exclude
	if !p.exclude {
		n.cats = n.cats.With(c)
		n.context |= ctx
	}
}

// word looks a word up, trying it without a plural ending (emails,
// addresses) and without a glued tail (phonenumber) when it is unknown.
func (m *fieldMatcher) word(w []byte) wordInfo {
	if allDigits(w) {
		// Numbers are tails (email2, address_line_2) that patterns may name (cvv2).
		wi, ok := m.words[string(w)]
		if !ok {
			wi.id = -1
		}
		wi.tail = true
		return wi
	}
	if wi, ok := m.words[string(w)]; ok {
		return wi
	}
	n := len(w)
	if n >= 3 && w[n-1] == 's' {
		if wi, ok := m.words[string(w[:n-1])]; ok && wi.id >= 0 {
			return wi
		}
		if n >= 4 && w[n-2] == 'e' {
			if wi, ok := m.words[string(w[:n-2])]; ok && wi.id >= 0 {
				return wi
			}
		}
	}
	for _, t := range tailSuffixes {
		if n > len(t) && string(w[n-len(t):]) == t {
			if wi, ok := m.words[string(w[:n-len(t)])]; ok && wi.id >= 0 {
				return wi
			}
		}
	}
	return wordInfo{id: -1}
}

// match returns what key's name says: the categories and context-gated
// detectors of every pattern it holds. Each word belongs to one match at
// most, the longest from the leftmost start, so "emailAddress" is an email
// address, not also an address; a name may hold several ("devicePassword"
// is a device's and a credential). An exclusion ("!max age") takes its
// words and gives nothing. ok is false when no pattern matched.
func (m *fieldMatcher) match(key string) (cats CategorySet, context detectorSet, ok bool) {
	var bufArr [128]byte
	var spanArr [maxKeyWords]wordSpan
	buf, spans := splitWords(key, bufArr[:0], spanArr[:0])
	var ids [maxKeyWords]int32
	lastNonTail := -1
	for i, sp := range spans {
		wi := m.word(buf[sp.start:sp.end])
		ids[i] = wi.id
		if !wi.tail {
			lastNonTail = i
		}
	}
	for i := 0; i < len(spans); i++ {
		node, best, end := int32(0), int32(-1), i
		for j := i; j < len(spans) && ids[j] >= 0; j++ {
			next, found := m.edges[uint64(node)<<32|uint64(uint32(ids[j]))]
			if !found {
				break
			}
			node = next
			if n := &m.nodes[node]; n.accept && (n.open || j >= lastNonTail) {
				best, end = node, j
			}
		}
		if best < 0 {
			continue
		}
		if n := &m.nodes[best]; !n.exclude {
			cats, context, ok = cats|n.cats, context|n.context, true
		}
		i = end // the next match starts after this one's words
	}
	return cats, context, ok
}
