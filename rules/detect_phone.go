package rules

import "strings"

// Phone numbers: international numbers after "+" or "00" with a real
// country code and a length its plan allows, and the national formats of
// the US and Canada (NANP), the UK, Germany and France as people write
// them. A bare run of digits is never taken for a phone number: it is as
// likely an order or account number, and a field named phone says enough.

// phone reports whether groups a..b are a phone number, and where it starts
// (at the "+" or "(" before the first group, if any).
func (c *numCluster) phone(a, b int) (int, bool) {
	start := c.g[a].start
	switch {
	case a == 0 && c.lead == '+':
		return start - 1, c.international(a, b, 0)
	case b > a && c.glen(a) >= 3 && strings.HasPrefix(c.grp(a), "00") && c.grp(a)[2] != '0':
		return start, c.international(a, b, 2)
	}
	paren := a == 0 && c.lead == '('
	if paren {
		start--
	}
	return start, c.nanp(a, b, paren) || c.trunkZero(a, b, paren) || !paren && c.french(a, b)
}

// twoDigitCodes are the country calling codes of two digits; with 1 and 7,
// every other code has three (ITU-T E.164 assignments).
var twoDigitCodes = map[string]bool{
	"20": true, "27": true, "30": true, "31": true, "32": true, "33": true, "34": true, "36": true,
	"39": true, "40": true, "41": true, "43": true, "44": true, "45": true, "46": true, "47": true,
	"48": true, "49": true, "51": true, "52": true, "53": true, "54": true, "55": true, "56": true,
	"57": true, "58": true, "60": true, "61": true, "62": true, "63": true, "64": true, "65": true,
	"66": true, "81": true, "82": true, "84": true, "86": true, "90": true, "91": true, "92": true,
	"93": true, "94": true, "95": true, "98": true,
}

// international checks groups a..b as an E.164 number whose first group
// starts with skip digits of international prefix ("00"). A "(0)" trunk
// digit, as in "+44 (0)20 7946 0958", is not part of the number.
func (c *numCluster) international(a, b, skip int) bool {
	var buf [24]byte
	d := buf[:0]
	for i := a; i <= b; i++ {
		if i > a {
			switch s := c.sep(i - 1); s {
			case " ", "-", ".", "(", " (", ")", ") ":
			default:
				return false
			}
			if c.grp(i) == "0" && i < b && strings.HasSuffix(c.sep(i-1), "(") && strings.HasPrefix(c.sep(i), ")") {
				continue
			}
		}
		d = append(d, c.grp(i)...)
	}
	d = d[skip:]
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return false
	}
	cc := 3
	switch {
	case d[0] == '1' || d[0] == '7':
		cc = 1
	case twoDigitCodes[string(d[:2])]:
		cc = 2
	}
	if c.glen(a)-skip < cc {
		return false // the country code is split across groups
	}
	rest := d[cc:]
	switch string(d[:cc]) {
	case "1":
		return len(rest) == 10 && validNANP(rest[:3], rest[3:6])
	case "7":
		return len(rest) == 10
	case "44":
		return (len(rest) == 9 || len(rest) == 10) && rest[0] != '0'
	case "49":
		return len(rest) >= 7 && len(rest) <= 12 && rest[0] != '0'
	case "33":
		return len(rest) == 9 && rest[0] != '0'
	}
	return len(rest) >= 6
}

// validNANP reports whether an area code and exchange may be assigned: both
// start with 2-9, neither is an N11 service code, and no area code has 9 in
// the middle (reserved for expansion).
func validNANP[T ~string | ~[]byte](npa, nxx T) bool {
	return npa[0] >= '2' && npa[1] != '9' && !(npa[1] == '1' && npa[2] == '1') &&
		nxx[0] >= '2' && !(nxx[1] == '1' && nxx[2] == '1')
}

// nanp checks (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567 and
// the same after a "1" trunk prefix.
func (c *numCluster) nanp(a, b int, paren bool) bool {
	open := paren
	if b-a == 3 {
		if paren || c.grp(a) != "1" {
			return false
		}
		switch c.sep(a) {
		case " (":
			open = true
		case "-", ".", " ":
		default:
			return false
		}
		a++
	} else if b-a != 2 {
		return false
	}
	if c.glen(a) != 3 || c.glen(a+1) != 3 || c.glen(a+2) != 4 {
		return false
	}
	s0, s1 := c.sep(a), c.sep(a+1)
	if open {
		if s0 != ")" && s0 != ") " || s1 != "-" && s1 != " " && s1 != "." {
			return false
		}
	} else if s0 != s1 || s0 != "-" && s0 != "." && s0 != " " {
		return false
	}
	return validNANP(c.grp(a), c.grp(a+1))
}

// trunkZero checks national numbers after a 0 trunk prefix as the UK and
// Germany write them: an area or mobile prefix of 3 to 6 digits, then one
// or two groups of at least three, 10 to 12 digits in all ("020 7946 0958",
// "07700 900123", "030 12345678", "089/1234567", "(0151) 2345 6789").
func (c *numCluster) trunkZero(a, b int, paren bool) bool {
	n := b - a + 1
	if n < 2 || n > 3 {
		return false
	}
	g0 := c.grp(a)
	if len(g0) < 3 || len(g0) > 6 || g0[0] != '0' || g0[1] == '0' {
		return false
	}
	if d := c.sum[b+1] - c.sum[a]; d < 10 || d > 12 {
		return false
	}
	switch s := c.sep(a); {
	case paren:
		if s != ")" && s != ") " {
			return false
		}
	case s != " " && s != "/" && s != "-":
		return false
	}
	for i := a + 1; i <= b; i++ {
		if c.glen(i) < 3 || i < b && c.sep(i) != " " && c.sep(i) != "-" {
			return false
		}
	}
	return true
}

// french checks the French 0X XX XX XX XX in pairs.
func (c *numCluster) french(a, b int) bool {
	if b-a != 4 || !c.sameSeps(a, b, " ", ".", "-") {
		return false
	}
	for i := a; i <= b; i++ {
		if c.glen(i) != 2 {
			return false
		}
	}
	g0 := c.grp(a)
	return g0[0] == '0' && g0[1] != '0'
}
