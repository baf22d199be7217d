package rules

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

const generalizeHows = "ip/N, ip6/N, year, month, bucket/W, round/D or prefix/N"

// Bounds on numbers the exact arithmetic of bucket and round accepts; beyond
// them a value is redacted rather than risking slow big-number work.
const (
	maxNumberLen = 64  // bytes of raw JSON number text
	maxNumberExp = 100 // magnitude of its exponent field
	maxPrefix    = 64  // N in prefix/N
	maxRound     = 12  // D in round/D
)

// maxNumberAbs is the largest magnitude bucket and round accept (1e18).
var maxNumberAbs = new(big.Rat).SetInt64(1e18)

// generalize applies the first of its hows that can transform a value, so a
// rule can say e.g. "ip/24 ip6/48" for a field holding either family.
type generalize []transformer

// newGeneralize compiles one or more hows, tried in order at run time.
func newGeneralize(hows []string) (transformer, error) {
	if len(hows) == 0 {
		return nil, errors.New("generalize needs at least one of " + generalizeHows)
	}
	g := make(generalize, 0, len(hows))
	for _, how := range hows {
		t, ok := parseHow(how)
		if !ok {
			return nil, fmt.Errorf("unknown generalization %q (want %s)", how, generalizeHows)
		}
		g = append(g, t)
	}
	return g, nil
}

func parseHow(how string) (transformer, bool) {
	switch how {
	case "year":
		return dateTrunc(len("2006")), true
	case "month":
		return dateTrunc(len("2006-01")), true
	}
	name, arg, ok := strings.Cut(how, "/")
	if !ok {
		return nil, false
	}
	switch name {
	case "ip":
		bits, ok := parseSmallInt(arg, 0, 32)
		return ipPrefix{bits: bits}, ok
	case "ip6":
		bits, ok := parseSmallInt(arg, 0, 128)
		return ipPrefix{bits: bits, v6: true}, ok
	case "bucket":
		return newBucket(arg)
	case "round":
		d, ok := parseSmallInt(arg, 0, maxRound)
		return round(d), ok
	case "prefix":
		n, ok := parseSmallInt(arg, 1, maxPrefix)
		return prefix(n), ok
	}
	return nil, false
}

func (g generalize) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	for _, t := range g {
		if out, ok := t.appendTo(dst, v); ok {
			return out, true
		}
	}
	return dst, false
}

// ipPrefix keeps the network part of an address of one family.
type ipPrefix struct {
	bits int
	v6   bool
}

func (p ipPrefix) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	if v.Type != gjson.String {
		return dst, false
	}
	addr, err := netip.ParseAddr(v.Str)
	if err != nil {
		return dst, false
	}
	if p.v6 {
		// A mapped IPv4 address is IPv4 traffic: ip/N governs it, not ip6/N.
		if !addr.Is6() || addr.Is4In6() {
			return dst, false
		}
		addr = addr.WithZone("")
	} else if addr = addr.Unmap(); !addr.Is4() {
		return dst, false
	}
	// Cannot fail: bits was range-checked for the family when compiled.
	network, _ := addr.Prefix(p.bits)
	dst = append(dst, '"')
	dst = network.Addr().AppendTo(dst)
	return append(dst, '"'), true
}

// dateTrunc keeps the first n bytes (YYYY or YYYY-MM) of a valid date.
type dateTrunc int

func (n dateTrunc) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	if v.Type != gjson.String || !validDate(v.Str) {
		return dst, false
	}
	dst = append(dst, '"')
	dst = append(dst, v.Str[:n]...)
	return append(dst, '"'), true
}

// validDate reports whether s is YYYY-MM, or starts with a valid calendar date
// YYYY-MM-DD that is alone or followed by a time part (not checked). It
// accepts exactly what time.Parse with the layouts "2006-01" and
// "2006-01-02" accepts, except signed years (time.Parse would read "-123"),
// in the proleptic Gregorian calendar; TestValidDateMatchesTimeParse holds
// it to that over every day of the years 0000 to 9999. It is written out
// because time.Parse was a third of the cost of generalize.
func validDate(s string) bool {
	switch {
	case len(s) == len("2006-01"), len(s) == len("2006-01-02"):
	case len(s) > len("2006-01-02") && (s[10] == 'T' || s[10] == 't' || s[10] == ' '):
	default:
		return false
	}
	if !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) || s[4] != '-' ||
		!isDigit(s[5]) || !isDigit(s[6]) {
		return false
	}
	month := int(s[5]-'0')*10 + int(s[6]-'0')
	if month < 1 || month > 12 {
		return false
	}
	if len(s) == len("2006-01") {
		return true
	}
	if s[7] != '-' || !isDigit(s[8]) || !isDigit(s[9]) {
		return false
	}
	day := int(s[8]-'0')*10 + int(s[9]-'0')
	if day < 1 {
		return false
	}
	if month != 2 {
		return day <= 30+(month+month/8)%2 // 31 days in Jan, Mar, May, Jul, Aug, Oct, Dec
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		return day <= 29
	}
	return day <= 28
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// prefix keeps the first N runes of a value's text.
type prefix int

func (n prefix) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	s, ok := scalarText(v)
	// A prefix that is the whole value would generalize nothing.
	if !ok || utf8.RuneCountInString(s) <= int(n) {
		return dst, false
	}
	return appendString(dst, s[:runeOffset(s, int(n))]), true
}

// bucket replaces a number by the lower bound of its width-W bucket.
type bucket struct {
	width    *big.Rat // read-only after compilation, so safe to share
	decimals int
}

// newBucket parses W: a positive plain decimal such as 10 or 0.5.
func newBucket(w string) (transformer, bool) {
	intPart, frac, hasFrac := strings.Cut(w, ".")
	if len(w) > maxNumberLen || !isDigits(intPart) || hasFrac && !isDigits(frac) {
		return nil, false
	}
	width, ok := new(big.Rat).SetString(w)
	if !ok || width.Sign() <= 0 {
		return nil, false
	}
	// W's significant decimals are enough to write every multiple of W exactly.
	return bucket{width: width, decimals: len(strings.TrimRight(frac, "0"))}, true
}

func (b bucket) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	x, ok := parseNumber(v)
	if !ok {
		return dst, false
	}
	x.Quo(x, b.width)
	// Rat denominators are positive, so Euclidean division is floor division.
	floor := new(big.Int).Div(x.Num(), x.Denom())
	x.SetInt(floor).Mul(x, b.width)
	return appendRat(dst, x, b.decimals), true
}

// round rounds a number to D decimals, halves away from zero.
type round int

func (d round) appendTo(dst []byte, v *gjson.Result) ([]byte, bool) {
	x, ok := parseNumber(v)
	if !ok {
		return dst, false
	}
	return appendRat(dst, x, int(d)), true
}

// appendRat writes x with exactly decimals digits after the point, rounding
// halves away from zero, and without the "-" FloatString puts on a zero.
func appendRat(dst []byte, x *big.Rat, decimals int) []byte {
	s := x.FloatString(decimals)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return append(dst, s...)
}

// parseNumber reads a JSON number exactly, refusing anything that is not
// strict JSON number syntax (big.Rat also reads fractions and hex) and
// anything too long, too far from 1 in exponent or larger than 1e18.
func parseNumber(v *gjson.Result) (*big.Rat, bool) {
	if v.Type != gjson.Number || len(v.Raw) > maxNumberLen || !jsonNumber(v.Raw) {
		return nil, false
	}
	x, ok := new(big.Rat).SetString(v.Raw)
	if !ok || new(big.Rat).Abs(x).Cmp(maxNumberAbs) > 0 {
		return nil, false
	}
	return x, true
}

// jsonNumber reports whether s is a JSON number whose exponent, if any, is
// at most maxNumberExp in magnitude.
func jsonNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	n := digitSpan(s)
	if n == 0 || n > 1 && s[0] == '0' {
		return false
	}
	s = s[n:]
	if frac, ok := strings.CutPrefix(s, "."); ok {
		n = digitSpan(frac)
		if n == 0 {
			return false
		}
		s = frac[n:]
	}
	if s == "" {
		return true
	}
	if s[0] != 'e' && s[0] != 'E' {
		return false
	}
	exp := s[1:]
	if exp != "" && (exp[0] == '+' || exp[0] == '-') {
		exp = exp[1:]
	}
	if !isDigits(exp) {
		return false
	}
	// Leading zeros are legal in a JSON exponent.
	if exp = strings.TrimLeft(exp, "0"); exp == "" {
		return true
	}
	_, ok := parseSmallInt(exp, 0, maxNumberExp)
	return ok
}

// digitSpan returns the number of ASCII digits s starts with.
func digitSpan(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func isDigits(s string) bool { return s != "" && digitSpan(s) == len(s) }
