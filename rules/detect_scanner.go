package rules

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Scanner runs the detectors of some categories over text. It is safe for
// concurrent use, and sees its taxonomy as it was when made.
//
// The cost is a fixed handful of passes over the text, whatever the number
// of detectors: vectorized searches for rare anchors ('@', ':', 'J' of "eyJ",
// '_', 'A', "xox", "Bearer ", "-----BEGIN ") and one loop that skips eight
// bytes at a time to the digit runs. A detector runs only where its pass
// found a candidate, so prose without digits or anchors costs little more
// than reading it.
type Scanner struct {
	enabled detectorSet
	cats    [numDetectors]CategorySet // the categories each detector reports
	fields  *fieldMatcher             // reads labels such as "DOB:" in free text
	maxYear int                       // birth dates after this year are not plausible
	// Prefilters: no enabled detector finds a span shorter than minLen; a
	// value that is one finding starts with a byte in starts, or is an
	// email (holds an '@') or an IBAN (two letters, two digits).
	minLen  int
	email   bool
	iban    bool
	starts  [256]bool
	numbers bool // a finding may start with a digit, as a number's text does
}

const (
	digitBytes = "0123456789"
	hexBytes   = digitBytes + "abcdefABCDEF"
)

// findingStarts are the bytes each detector's findings start with (the
// email and IBAN detectors have their own prefilters).
var findingStarts = [numDetectors]string{
	detPrivateKey: "-", detJWT: "e", detBearer: "Bb", detAWSKey: "A", detGitHubToken: "g",
	detSlackToken: "x", detStripeKey: "prs", detGoogleKey: "A",
	detCard: digitBytes, detSSN: digitBytes, detIPv4: digitBytes, detBirthDate: digitBytes,
	detPhone: digitBytes + "+(", detIPv6: hexBytes + ":", detMAC: hexBytes,
}

// minSpan is the shortest span each detector finds (a lower bound; 0 means
// that of an email, "a@b.cd").
var minSpan = [numDetectors]int{
	detPrivateKey: len("-----BEGIN PRIVATE KEY-----"), detJWT: 16, detBearer: len("Bearer ") + minBearer, detAWSKey: 20,
	detGitHubToken: 40, detSlackToken: 15, detStripeKey: 32, detGoogleKey: 39,
}

// newScanner returns a scanner for the enabled detectors, each reporting
// the categories cats gives it.
func newScanner(enabled detectorSet, cats [numDetectors]CategorySet, fields *fieldMatcher) *Scanner {
	s := &Scanner{enabled: enabled, cats: cats, fields: fields, maxYear: time.Now().Year(), minLen: 1 << 30}
	for d := range enabled.all() {
		s.minLen = min(s.minLen, max(minSpan[d], len("a@b.cd")))
		switch d {
		case detEmail:
			s.email = true
		case detIBAN:
			s.iban = true
		}
		for i := 0; i < len(findingStarts[d]); i++ {
			s.starts[findingStarts[d][i]] = true
		}
	}
	for c := byte('0'); c <= '9'; c++ {
		s.numbers = s.numbers || s.starts[c]
	}
	return s
}

// Finding is one span of personal data in a text.
type Finding struct {
	Start, End int
	Detector   Detector
	// Categories are the scanner's categories that list the detector.
	Categories CategorySet
}

// Scanner returns a scanner for the detectors of the categories in cats.
func (t *Taxonomy) Scanner(cats CategorySet) *Scanner {
	var enabled detectorSet
	var dcats [numDetectors]CategorySet
	for c := range cats.All() {
		if int(c) >= len(t.cats) {
			continue
		}
		for d := range t.cats[c].detectors.all() {
			enabled |= 1 << d
			dcats[d] = dcats[d].With(c)
		}
	}
	return newScanner(enabled, dcats, t.matcher)
}

// AppendFindings appends the findings in text to dst, left to right and
// without overlaps. f is the field holding the text (the zero Field if none):
// its name may enable context-gated detectors. When two candidates overlap,
// the longer wins, then the more specific detector.
func (s *Scanner) AppendFindings(dst []Finding, text string, f Field) []Finding {
	if s.enabled == 0 || len(text) < s.minLen || !s.mayFind(text) {
		return dst
	}
	r := spanFinder{s: s, text: text, ctx: f.context}
	if s.enabled.has(detEmail) {
		r.emails()
	}
	if s.enabled&colonDetectors != 0 {
		r.colonSeparated()
	}
	if s.enabled&numericDetectors != 0 {
		r.numeric()
	}
	if s.enabled&tokenDetectors != 0 {
		r.tokens()
	}
	return append(dst, r.resolve()...)
}

// Match reports the finding that covers all of value but surrounding
// whitespace, if there is one: the value is, as a whole, personal data of
// that kind.
func (s *Scanner) Match(value string, f Field) (Finding, bool) {
	if len(value) < s.minLen { // most values: spare the trim
		return Finding{}, false
	}
	trimmed := strings.TrimSpace(value)
	if len(trimmed) < s.minLen || !s.couldBeOne(trimmed) {
		return Finding{}, false
	}
	var buf [4]Finding
	fs := s.AppendFindings(buf[:0], value, f)
	if len(fs) == 1 && fs[0].End-fs[0].Start == len(trimmed) {
		return fs[0], true
	}
	return Finding{}, false
}

// mayFind reports whether text holds what some enabled detector's findings
// must: a digit for the number detectors, '@', ':', or a token's anchor.
// Most values hold none of a credentials scanner's anchors, and are then
// spared the passes.
func (s *Scanner) mayFind(text string) bool {
	e := s.enabled
	switch {
	case e&numericDetectors != 0 && hasDigit(text),
		e.has(detEmail) && strings.IndexByte(text, '@') >= 0,
		e&colonDetectors != 0 && strings.IndexByte(text, ':') >= 0,
		e.has(detJWT) && strings.IndexByte(text, 'J') >= 0, // eyJ
		e.has(detBearer) && strings.Contains(text, "earer "),
		(e.has(detAWSKey) || e.has(detGoogleKey)) && strings.IndexByte(text, 'A') >= 0,
		(e.has(detGitHubToken) || e.has(detStripeKey)) && strings.IndexByte(text, '_') >= 0,
		e.has(detSlackToken) && strings.Contains(text, "xox"),
		e.has(detPrivateKey) && strings.Contains(text, "-----BEGIN "):
		return true
	}
	return false
}

// couldBeOne reports whether v, trimmed, could be a single finding.
func (s *Scanner) couldBeOne(v string) bool {
	return s.starts[v[0]] ||
		s.email && strings.IndexByte(v, '@') > 0 ||
		s.iban && len(v) >= 4 && isLetter(v[0]) && isLetter(v[1]) && isDigit(v[2]) && isDigit(v[3])
}

func isLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// spanFinder is the state of one scan: the candidates found so far, then
// resolve keeps the ones that win. Candidates live in an array so that a
// scan allocates nothing unless a text holds many findings (a slice field
// appended through a pointer would always escape).
type spanFinder struct {
	s     *Scanner
	text  string
	ctx   detectorSet
	cands [64]Finding
	n     int
	more  []Finding // all candidates, once there are more than fit in cands
}

func (r *spanFinder) on(d Detector) bool { return r.s.enabled.has(d) }

func (r *spanFinder) add(start, end int, d Detector) {
	f := Finding{Start: start, End: end, Detector: d, Categories: r.s.cats[d]}
	switch {
	case r.more != nil:
		r.more = append(r.more, f)
	case r.n == len(r.cands):
		r.more = append(append(make([]Finding, 0, 2*r.n), r.cands[:]...), f)
	default:
		r.cands[r.n] = f
		r.n++
	}
}

// context reports whether the context-gated detector d may fire on a
// candidate starting at start: the field's name or a label right before the
// candidate ("DOB: ", "SSN #") enables it.
func (r *spanFinder) context(start int, d Detector) bool {
	if r.ctx.has(d) {
		return true
	}
	lo := max(0, start-40)
	w := r.text[lo:start]
	if lo > 0 {
		// Do not read a label from the tail of a cut word.
		w = w[runOf(w, 0, clWord):]
	}
	w = trimLabel(w)
	// A label is in the same sentence or list item as its value.
	for i := len(w) - 1; i >= 0; i-- {
		if c := w[i]; c == '.' || c == ';' || c == '!' || c == '?' || c == ',' || c == '\n' {
			w = w[i+1:]
			break
		}
	}
	if w == "" {
		return false
	}
	_, context, _ := r.s.fields.match(w)
	return context.has(d)
}

// labelStopWords may stand between a label and its value: "DOB is", "born on".
var labelStopWords = []string{"is", "was", "on", "of", "at", "as", "are"}

// labelPunct is what may stand between a label and its value: "SSN #", "DOB: ".
func labelPunct(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ':', '=', '#', '-', '(', ')', '[', ']', '\'', '"':
		return true
	}
	return false
}

// trimLabel removes the punctuation and stop words between a label and the
// value after it.
func trimLabel(w string) string {
	for range 3 {
		for len(w) > 0 && labelPunct(w[len(w)-1]) {
			w = w[:len(w)-1]
		}
		i := len(w)
		for i > 0 && !labelPunct(w[i-1]) {
			i--
		}
		stop := false
		for _, sw := range labelStopWords {
			stop = stop || strings.EqualFold(w[i:], sw)
		}
		if !stop {
			return w
		}
		w = w[:i]
	}
	return w
}

// resolve sorts the candidates by position and, within each run of
// overlapping ones, keeps the longest (then the most specific) and whatever
// does not overlap what it kept.
func (r *spanFinder) resolve() []Finding {
	c := r.cands[:r.n]
	if r.more != nil {
		c = r.more
	}
	if len(c) < 2 {
		return c
	}
	slices.SortFunc(c, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(b.End, a.End), cmp.Compare(a.Detector, b.Detector))
	})
	n := 0 // c[:n] is the result so far
	for i := 0; i < len(c); {
		j, end := i+1, c[i].End
		for j < len(c) && c[j].Start < end {
			end = max(end, c[j].End)
			j++
		}
		n += pickNonOverlapping(c[i:j], c[n:])
		i = j
	}
	return c[:n]
}

// pickNonOverlapping keeps, from candidates that overlap in a chain, the
// longest, then the most specific, then the leftmost, then whatever does not
// overlap those kept; it writes them in text order to dst (which may alias
// cands from the left) and returns how many.
func pickNonOverlapping(cands, dst []Finding) int {
	if len(cands) == 1 {
		dst[0] = cands[0]
		return 1
	}
	slices.SortFunc(cands, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.End-b.Start, a.End-a.Start), cmp.Compare(a.Detector, b.Detector), cmp.Compare(a.Start, b.Start))
	})
	kept := 0
	for i := range cands {
		ok := true
		for _, k := range cands[:kept] {
			if cands[i].Start < k.End && k.Start < cands[i].End {
				ok = false
				break
			}
		}
		if ok {
			cands[kept] = cands[i]
			kept++
		}
	}
	slices.SortFunc(cands[:kept], func(a, b Finding) int { return cmp.Compare(a.Start, b.Start) })
	copy(dst, cands[:kept])
	return kept
}
