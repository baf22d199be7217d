package rules

import "strings"

// Numbers in text come as digit groups joined by separators: "+44 (0)20
// 7946 0958", "4111-1111-1111-1111", "192.0.2.7", "078-05-1121",
// "1987-06-05". The numeric pass visits each such cluster once and lets the
// number detectors judge every run of its groups; most clusters (a year, a
// price, a quantity) have too few digits for any of them and cost a glance.

// maxGroups bounds a cluster; a longer run of groups is cut into clusters.
const maxGroups = 16

// numCluster is a run of digit groups joined by short separators.
type numCluster struct {
	text string
	lead byte // '+' or '(' right before the first group, or 0
	n    int
	g    [maxGroups]struct{ start, end int }
	sum  [maxGroups + 1]int // sum[i] is the number of digits in groups before i
	// headOK says a match may start at the first group, tailOK that one may
	// end at the last: they are not glued to letters ("INV-2024-0001", "v1.2").
	headOK, tailOK bool
	// timeAfter says the last group is followed by "T" and a digit: a
	// timestamp's time part, which a birth date may carry.
	timeAfter bool
}

// sepByte reports whether c may join two digit groups.
func sepByte(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')'
}

// readCluster reads the cluster whose first digit is at i.
func readCluster(c *numCluster, t string, i int) {
	c.text = t
	q := i
	if i > 0 && (t[i-1] == '+' || t[i-1] == '(') {
		c.lead, q = t[i-1], i-1
	}
	c.headOK = q == 0 || !classAt(t, q-1, clWord) &&
		!(strings.IndexByte("-./+", t[q-1]) >= 0 && classAt(t, q-2, clWord))
	for {
		e := runOf(t, i, clDigit)
		c.g[c.n] = struct{ start, end int }{i, e}
		c.sum[c.n+1] = c.sum[c.n] + e - i
		c.n++
		// A separator is one byte, or two with a parenthesis: ") ", " (".
		k := e
		for k < len(t) && k-e < 2 && sepByte(t[k]) {
			k++
		}
		if k-e == 2 && !strings.ContainsAny(t[e:k], "()") || k-e == 2 && t[e] == t[e+1] {
			k = e + 1
		}
		if c.n == maxGroups || k == e || !classAt(t, k, clDigit) {
			c.tailOK = c.n < maxGroups && !classAt(t, e, clWord) &&
				!(e < len(t) && strings.IndexByte("-./", t[e]) >= 0 && classAt(t, e+1, clWord))
			c.timeAfter = e+1 < len(t) && t[e] == 'T' && classAt(t, e+1, clDigit)
			return
		}
		i = k
	}
}

func (c *numCluster) grp(i int) string { return c.text[c.g[i].start:c.g[i].end] }

// sep returns the separator between groups i and i+1.
func (c *numCluster) sep(i int) string { return c.text[c.g[i].end:c.g[i+1].start] }

func (c *numCluster) glen(i int) int { return c.g[i].end - c.g[i].start }

// tight reports whether a separator glues groups into one token ("-", ".",
// "/"): a match may not start or end at such a joint, or 555-123-4567-89
// would hold a phone number.
func tight(sep string) bool { return sep == "-" || sep == "." || sep == "/" }

// sameSeps reports whether the separators between groups a..b are all the
// same, and one of allowed.
func (c *numCluster) sameSeps(a, b int, allowed ...string) bool {
	if a == b {
		return true
	}
	s0 := c.sep(a)
	for i := a + 1; i < b; i++ {
		if c.sep(i) != s0 {
			return false
		}
	}
	for _, s := range allowed {
		if s == s0 {
			return true
		}
	}
	return false
}

// continues reports whether groups a..b are part of a longer number: a
// neighbouring group is joined by a separator the run itself uses, as in
// "9400 0815 7003 3887 4424" (no phone inside) or "4111 1111 1111 1111 110".
// A neighbour that starts a token of its own ("10.1.2.3", "12/27") does not
// continue the run.
func (c *numCluster) continues(a, b int) bool {
	if a == b {
		return false
	}
	used := func(s string) bool {
		for i := a; i < b; i++ {
			if c.sep(i) == s {
				return true
			}
		}
		return false
	}
	return a > 0 && used(c.sep(a-1)) && (a == 1 || !tight(c.sep(a-2))) ||
		b < c.n-1 && used(c.sep(b)) && (b+2 == c.n || !tight(c.sep(b+1)))
}

// appendDigits appends the digits of groups a..b to dst.
func (c *numCluster) appendDigits(dst []byte, a, b int) []byte {
	for i := a; i <= b; i++ {
		dst = append(dst, c.grp(i)...)
	}
	return dst
}

// numeric is the pass for the number detectors (and IBANs, whose check
// digits start a digit run).
func (r *spanFinder) numeric() {
	t := r.text
	for i := 0; i < len(t); {
		if i+8 <= len(t) && !hasDigit8(t[i:i+8]) {
			i += 8
			continue
		}
		if byteClass[t[i]]&clDigit == 0 {
			i++
			continue
		}
		if i >= 2 && r.on(detIBAN) {
			if end, ok := ibanAt(t, i-2); ok {
				r.add(i-2, end, detIBAN)
				i = end
				continue
			}
		}
		// Most digit runs are a quantity, a time or a year: too short for
		// any detector unless a separator joins them to more digits.
		if e := runOf(t, i, clDigit); e-i < 4 && (e == len(t) || !sepByte(t[e])) {
			i = e
			continue
		}
		var c numCluster
		readCluster(&c, t, i)
		if c.sum[c.n] >= 4 {
			r.cluster(&c)
		}
		i = c.g[c.n-1].end
	}
}

// cluster tries the number detectors on every run of groups a..b that does
// not start or end at a tight joint.
func (r *spanFinder) cluster(c *numCluster) {
	for a := 0; a < c.n; a++ {
		if a == 0 && !c.headOK || a > 0 && tight(c.sep(a-1)) {
			continue
		}
		for b := a; b < c.n && b < a+8; b++ {
			digits := c.sum[b+1] - c.sum[a]
			if digits > 20 {
				break
			}
			if b < c.n-1 && tight(c.sep(b)) {
				if b == a+3 && c.sep(b) == "/" && r.on(detIPv4) && c.ipv4(a) {
					r.add(c.g[a].start, c.g[b].end, detIPv4) // a CIDR block: 10.0.0.0/8
				}
				continue
			}
			if b == c.n-1 && !c.tailOK {
				if c.timeAfter && r.on(detBirthDate) {
					r.birthDate(c, a, b, digits)
				}
				continue
			}
			r.numberRun(c, a, b, digits)
		}
	}
}

// numberRun runs the number detectors on groups a..b.
func (r *spanFinder) numberRun(c *numCluster, a, b, digits int) {
	start, end := c.g[a].start, c.g[b].end
	if r.on(detCard) && digits >= 13 && digits <= 19 && c.card(a, b) {
		r.add(start, end, detCard)
	}
	if r.on(detSSN) && digits == 9 {
		if form := c.ssn(a, b); form == ssnDashed || form == ssnContext && r.context(start, detSSN) {
			r.add(start, end, detSSN)
		}
	}
	if r.on(detIPv4) && b == a+3 && c.ipv4(a) && !afterVersionWord(r.text, start) {
		r.add(start, end, detIPv4)
	}
	if r.on(detPhone) && digits >= 7 && !c.continues(a, b) {
		if s, ok := c.phone(a, b); ok {
			r.add(s, end, detPhone)
		}
	}
	if r.on(detBirthDate) {
		r.birthDate(c, a, b, digits)
	}
}

// hasDigit reports whether s holds an ASCII digit, eight bytes at a time.
func hasDigit(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if hasDigit8(s[i : i+8]) {
			return true
		}
	}
	for ; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return true
		}
	}
	return false
}

// hasDigit8 reports whether any of the 8 bytes of s is an ASCII digit,
// testing them at once (a byte in 0x30..0x39 sets its top bit below).
func hasDigit8(s string) bool {
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	low := x &^ highs                // each byte's low 7 bits
	above := low + ones*(0x80-0x30)  // top bit set where the byte is at least '0'
	below := ones*(0x80+0x39) - low  // top bit set where the byte is at most '9'
	return above&below&^x&highs != 0 // and it was ASCII
}

// afterVersionWord reports whether the word before i says a dotted number
// is a version ("version 1.2.3.4", "build 10.0.0.1"), not an address.
func afterVersionWord(t string, i int) bool {
	j := i
	for j > 0 && (t[j-1] == ' ' || t[j-1] == ':') {
		j--
	}
	k := j
	for k > 0 && classAt(t, k-1, clUpper|clLower) {
		k--
	}
	switch w := t[k:j]; {
	case strings.EqualFold(w, "version"), strings.EqualFold(w, "ver"), strings.EqualFold(w, "build"),
		strings.EqualFold(w, "release"), strings.EqualFold(w, "firmware"):
		return true
	}
	return false
}
