package rules

import (
	"net/netip"
	"strings"
)

// IP and MAC addresses. IPv4 is four dotted decimal groups, each 0-255
// without leading zeros, as net/netip parses them; "1.2.3" (a version) or
// "10.0.19041.1" (a build) is not one, nor four groups after "version".
// IPv6 and MAC addresses are found from their colons.

// ipv4 reports whether groups a..a+3 are a dotted IPv4 address.
func (c *numCluster) ipv4(a int) bool {
	if a == 0 && c.lead != 0 || !c.sameSeps(a, a+3, ".") {
		return false
	}
	_, err := netip.ParseAddr(c.text[c.g[a].start:c.g[a+3].end])
	return err == nil
}

// colonSeparated finds IPv6 and MAC addresses: around each colon, the
// longest run of hex digits, colons and (for an IPv4 tail) dots, trimmed of
// sentence punctuation, if it stands alone and parses.
func (r *spanFinder) colonSeparated() {
	t := r.text
	for from := 0; ; {
		k := strings.IndexByte(t[from:], ':')
		if k < 0 {
			return
		}
		i := from + k
		lo := i
		for lo > 0 && (classAt(t, lo-1, clHex) || t[lo-1] == ':') {
			lo--
		}
		hi := i
		for hi < len(t) && (classAt(t, hi, clHex) || t[hi] == ':' || t[hi] == '.') {
			hi++
		}
		from = max(hi, i+1)
		if classAt(t, lo-1, clWord) || classAt(t, hi, clWord) {
			continue
		}
		for hi > lo && (t[hi-1] == '.' || t[hi-1] == ':' && !strings.HasSuffix(t[lo:hi], "::")) {
			hi--
		}
		switch cand := t[lo:hi]; {
		case r.on(detMAC) && isMAC(cand):
			r.add(lo, hi, detMAC)
		case r.on(detIPv6) && isIPv6(cand):
			r.add(lo, hi, detIPv6)
		}
	}
}

// isMAC reports whether s is six pairs of hex digits joined by colons.
func isMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		if i%3 == 2 {
			if s[i] != ':' {
				return false
			}
		} else if byteClass[s[i]]&clHex == 0 {
			return false
		}
	}
	return true
}

// isIPv6 reports whether s is an IPv6 address with at least five hex
// digits: "::1" and "a::b" say nothing about a person, and the latter is
// more often code than an address.
func isIPv6(s string) bool {
	if strings.Count(s, ":") < 2 {
		return false
	}
	hex := 0
	for i := 0; i < len(s); i++ {
		if byteClass[s[i]]&clHex != 0 {
			hex++
		}
	}
	if hex < 5 {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}
