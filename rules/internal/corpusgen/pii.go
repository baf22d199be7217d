package corpusgen

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Synthetic personal data, valid by construction.

var (
	firstNames = []string{"jane", "john", "maria", "li", "ahmed", "olga", "kenji", "fatima", "lukas", "chloe", "sven", "amara", "noah", "ines", "raj"}
	lastNames  = []string{"doe", "smith", "garcia", "wang", "hassan", "ivanova", "tanaka", "khan", "mueller", "martin", "berg", "okafor", "brown", "silva", "patel"}
	domains    = []string{"example.com", "example.org", "example.net", "mail.example.co.uk", "corp.example.de", "bücher.example", "xn--bcher-kva.example", "example.fr", "students.example.edu"}
)

func (g *gen) email() (string, string) {
	f, l := g.pick(firstNames...), g.pick(lastNames...)
	local := g.pick(f+"."+l, f+"_"+l, f[:1]+l, f+l+g.digits(2), f+"+"+g.pick("news", "shop", "x"), strings.ToUpper(f)+"."+l, f+"-"+l)
	return local + "@" + g.pick(domains...), "email"
}

// luhnDigit returns the check digit that completes partial.
func luhnDigit(partial string) byte {
	sum := 0
	for i := 0; i < len(partial); i++ {
		v := int(partial[len(partial)-1-i] - '0')
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

// cardBrands are issuer ranges (as a prefix list) and lengths.
var cardBrands = []struct {
	name     string
	prefixes []string
	lengths  []int
}{
	{"visa", []string{"4"}, []int{13, 16, 16, 16, 19}},
	{"mastercard", []string{"51", "52", "53", "54", "55", "2221", "2500", "2720"}, []int{16}},
	{"amex", []string{"34", "37"}, []int{15}},
	{"discover", []string{"6011", "644", "649", "65", "622126", "622925"}, []int{16, 19}},
	{"jcb", []string{"3528", "3545", "3589"}, []int{16, 19}},
	{"diners", []string{"300", "305", "3095", "36", "38"}, []int{14, 16}},
	{"unionpay", []string{"62"}, []int{16, 19}},
	{"maestro", []string{"5018", "5020", "5038", "5893", "6304", "6759", "6761", "6763"}, []int{13, 16, 19}},
}

// cardDigits returns a valid number of the brand and its length.
func (g *gen) cardDigits(brand int) string {
	b := cardBrands[brand]
	p := g.pick(b.prefixes...)
	n := b.lengths[g.r.IntN(len(b.lengths))]
	if b.name == "diners" && p == "36" {
		n = 14
	}
	body := p + g.digits(n-1-len(p))
	return body + string(luhnDigit(body))
}

// groupCard writes a card number as people do.
func (g *gen) groupCard(d string) string {
	sep := g.pick("", " ", "-")
	if sep == "" {
		return d
	}
	if len(d) == 15 {
		return d[:4] + sep + d[4:10] + sep + d[10:]
	}
	if len(d) == 14 && g.r.IntN(2) == 0 {
		return d[:4] + sep + d[4:10] + sep + d[10:]
	}
	var parts []string
	for i := 0; i < len(d); i += 4 {
		parts = append(parts, d[i:min(i+4, len(d))])
	}
	return strings.Join(parts, sep)
}

func (g *gen) card() (string, string) {
	brand := g.r.IntN(len(cardBrands))
	return g.groupCard(g.cardDigits(brand)), cardBrands[brand].name
}

// ibanCountries are SEPA countries (and a few more) with their lengths and
// whether the BBAN starts with letters (a bank code).
var ibanCountries = []struct {
	cc      string
	n       int
	letters int
}{
	{"AT", 20, 0}, {"BE", 16, 0}, {"BG", 22, 4}, {"CH", 21, 0}, {"CY", 28, 0}, {"CZ", 24, 0}, {"DE", 22, 0},
	{"DK", 18, 0}, {"EE", 20, 0}, {"ES", 24, 0}, {"FI", 18, 0}, {"FR", 27, 0}, {"GB", 22, 4}, {"GI", 23, 4},
	{"GR", 27, 0}, {"HR", 21, 0}, {"HU", 28, 0}, {"IE", 22, 4}, {"IS", 26, 0}, {"IT", 27, 1}, {"LI", 21, 0},
	{"LT", 20, 0}, {"LU", 20, 0}, {"LV", 21, 4}, {"MC", 27, 0}, {"MT", 31, 4}, {"NL", 18, 4}, {"NO", 15, 0},
	{"PL", 28, 0}, {"PT", 25, 0}, {"RO", 24, 4}, {"SE", 24, 0}, {"SI", 19, 0}, {"SK", 24, 0}, {"SM", 27, 1},
	{"VA", 22, 0}, {"AD", 24, 0},
}

// ibanCheck computes the two check digits for a country and BBAN.
func ibanCheck(cc, bban string) string {
	r := 0
	for _, c := range bban + cc + "00" {
		if c >= 'A' {
			r = (r*100 + int(c-'A') + 10) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%02d", 98-r)
}

func (g *gen) ibanCompact() (string, string) {
	c := ibanCountries[g.r.IntN(len(ibanCountries))]
	bban := g.from(upper, c.letters) + g.digits(c.n-4-c.letters)
	return c.cc + ibanCheck(c.cc, bban) + bban, c.cc
}

func spaced4(s string) string {
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, " ")
}

func (g *gen) iban() (string, string) {
	s, cc := g.ibanCompact()
	if g.r.IntN(2) == 0 {
		s = spaced4(s)
	}
	return s, "iban " + cc
}

// nanpNumber returns a valid area code, exchange and line.
func (g *gen) nanpNumber() (string, string, string) {
	var npa, nxx string
	for {
		npa = strconv.Itoa(g.between(2, 9)) + strconv.Itoa(g.between(0, 8)) + g.digits(1)
		if npa[1:] != "11" {
			break
		}
	}
	for {
		nxx = strconv.Itoa(g.between(2, 9)) + g.digits(2)
		if nxx[1:] != "11" {
			break
		}
	}
	return npa, nxx, g.digits(4)
}

func (g *gen) phone() (string, string) {
	switch g.r.IntN(12) {
	case 0, 1, 2:
		a, b, c := g.nanpNumber()
		return g.pick("("+a+") "+b+"-"+c, a+"-"+b+"-"+c, a+"."+b+"."+c, a+" "+b+" "+c, "1-"+a+"-"+b+"-"+c, "("+a+")"+b+"-"+c), "us"
	case 3:
		a, b, c := g.nanpNumber()
		return g.pick("+1 "+a+" "+b+" "+c, "+1"+a+b+c, "+1-"+a+"-"+b+"-"+c, "+1 ("+a+") "+b+"-"+c), "us e164"
	case 4:
		return g.pick("020 7"+g.digits(3)+" "+g.digits(4), "07700 9"+g.digits(5), "0161 "+g.digits(3)+" "+g.digits(4), "01632 96"+g.digits(4), "(020) 8"+g.digits(3)+" "+g.digits(4)), "uk"
	case 5:
		return g.pick("+44 20 7"+g.digits(3)+" "+g.digits(4), "+44 (0)20 7"+g.digits(3)+" "+g.digits(4), "+447700 9"+g.digits(5), "0044 161 "+g.digits(3)+" "+g.digits(4)), "uk e164"
	case 6:
		return g.pick("030 "+strconv.Itoa(g.between(1, 9))+g.digits(7), "089/"+strconv.Itoa(g.between(1, 9))+g.digits(6), "0151 "+g.digits(8), "0171-"+strconv.Itoa(g.between(1, 9))+g.digits(6), "040 "+strconv.Itoa(g.between(1, 9))+g.digits(3)+" "+g.digits(4), "06221 "+strconv.Itoa(g.between(1, 9))+g.digits(5)), "de"
	case 7:
		return g.pick("+49 30 "+strconv.Itoa(g.between(1, 9))+g.digits(7), "+49 (0)89 "+strconv.Itoa(g.between(1, 9))+g.digits(6), "+49 151 "+g.digits(8), "0049 40 "+strconv.Itoa(g.between(1, 9))+g.digits(6)), "de e164"
	case 8:
		pairs := "0" + strconv.Itoa(g.between(1, 9))
		for range 4 {
			pairs += " " + g.digits(2)
		}
		return strings.ReplaceAll(pairs, " ", g.pick(" ", ".", "-")), "fr"
	case 9:
		return "+33 " + strconv.Itoa(g.between(1, 9)) + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2) + " " + g.digits(2), "fr e164"
	default:
		return g.pick("+39 06 "+g.digits(4)+" "+g.digits(4), "+81 3-"+g.digits(4)+"-"+g.digits(4), "+353 1 "+g.digits(3)+" "+g.digits(4), "+61 2 "+g.digits(4)+" "+g.digits(4), "+34 91 "+g.digits(3)+" "+g.digits(2)+" "+g.digits(2)), "other e164"
	}
}

func (g *gen) ipv4() (string, string) {
	return fmt.Sprintf("%d.%d.%d.%d", g.between(1, 223), g.r.IntN(256), g.r.IntN(256), g.between(1, 254)), "ipv4"
}

func (g *gen) ipv6() (string, string) {
	h := func() string { return strconv.FormatInt(int64(g.r.IntN(0x10000)), 16) }
	switch g.r.IntN(4) {
	case 0:
		return "2001:db8:" + h() + ":" + h() + ":" + h() + ":" + h() + ":" + h() + ":" + h(), "full"
	case 1:
		return "2001:db8:" + h() + "::" + h() + ":" + h(), "compressed"
	case 2:
		return "fe80::" + h() + ":" + h() + ":" + h() + ":" + h(), "link-local"
	}
	return fmt.Sprintf("2a02:%04x:%x::%x", g.r.IntN(0x10000), g.r.IntN(0x10000), g.between(0x1000, 0xffff)), "global"
}

func (g *gen) mac() (string, string) {
	parts := make([]string, 6)
	for i := range parts {
		parts[i] = g.from(hexSet, 2)
	}
	s := strings.Join(parts, ":")
	if g.r.IntN(2) == 0 {
		s = strings.ToUpper(s)
	}
	return s, "mac"
}

// ssnDigits returns an SSN the SSA could issue.
func (g *gen) ssnDigits() (string, string, string) {
	var area string
	for {
		area = fmt.Sprintf("%03d", g.between(1, 899))
		if area != "666" {
			break
		}
	}
	return area, fmt.Sprintf("%02d", g.between(1, 99)), fmt.Sprintf("%04d", g.between(1, 9999))
}

func (g *gen) ssnDashed() (string, string) {
	a, b, c := g.ssnDigits()
	return a + "-" + b + "-" + c, "dashed"
}

func (g *gen) ssnBare() (string, string) {
	a, b, c := g.ssnDigits()
	return a + b + c, "bare"
}

// dob returns a birth date between 1920 and 2012 in one of the numeric forms.
func (g *gen) dob() (string, string) {
	y, m := g.between(1920, 2012), g.between(1, 12)
	d := g.between(1, 28)
	switch g.r.IntN(7) {
	case 0:
		return fmt.Sprintf("%04d/%02d/%02d", y, m, d), "ymd slash"
	case 1:
		return fmt.Sprintf("%02d.%02d.%04d", d, m, y), "dmy dot"
	case 2:
		return fmt.Sprintf("%02d/%02d/%04d", m, d, y), "mdy slash"
	case 3:
		return fmt.Sprintf("%04d%02d%02d", y, m, d), "compact"
	case 4:
		return fmt.Sprintf("%04d-%02d-%02dT00:00:00Z", y, m, d), "timestamp"
	}
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d), "iso"
}

var b64 = base64.RawURLEncoding

// jwt returns a compact JWS: HS256-signed, or with a random signature for
// the asymmetric algorithms (the detector does not verify signatures).
func (g *gen) jwt() (string, string) {
	alg := g.pick("HS256", "RS256", "ES256", "EdDSA", "PS256")
	header := fmt.Sprintf(`{"alg":%q,"typ":"JWT"}`, alg)
	if g.r.IntN(3) == 0 {
		header = fmt.Sprintf(`{"typ":"JWT","kid":"%s","alg":%q}`, g.from(alnum, 12), alg)
	}
	payload := fmt.Sprintf(`{"sub":"%s","iat":%d,"exp":%d,"scope":"%s"}`, g.from(alnum, 10), 1700000000+g.r.IntN(1e8), 1800000000+g.r.IntN(1e8), g.pick("read", "read write", "admin"))
	signing := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	var sig []byte
	if alg == "HS256" {
		m := hmac.New(sha256.New, []byte(g.from(alnum, 32)))
		m.Write([]byte(signing))
		sig = m.Sum(nil)
	} else {
		for range g.between(64, 256) {
			sig = append(sig, byte(g.r.IntN(256)))
		}
	}
	return signing + "." + b64.EncodeToString(sig), alg
}

func (g *gen) bearer() (string, string) {
	switch g.r.IntN(3) {
	case 0:
		t, _ := g.jwt()
		return "Bearer " + t, "jwt"
	case 1:
		return "Bearer " + g.from(hexSet, 40), "hex"
	}
	return "Bearer " + g.from(b64url, 31) + g.digits(1), "opaque"
}

func (g *gen) awsKey() (string, string) {
	return g.pick("AKIA", "ASIA") + g.from(upper+"234567", 16), "aws"
}

func (g *gen) githubToken() (string, string) {
	if g.r.IntN(4) == 0 {
		return "github_pat_" + g.from(alnum, 22) + "_" + g.from(alnum, 59), "fine-grained"
	}
	p := g.pick("ghp_", "gho_", "ghs_", "ghu_", "ghr_")
	return p + g.from(alnum, 36), p
}

func (g *gen) slackToken() (string, string) {
	switch g.r.IntN(2) {
	case 0:
		return "xoxb-" + g.digits(11) + "-" + g.digits(13) + "-" + g.from(alnum, 24), "bot"
	}
	return "xoxp-" + g.digits(11) + "-" + g.digits(11) + "-" + g.digits(13) + "-" + g.from(hexSet, 32), "user"
}

func (g *gen) stripeKey() (string, string) {
	p := g.pick("sk_live_", "rk_live_", "pk_live_")
	return p + g.from(alnum, []int{24, 99}[g.r.IntN(2)]), p
}

func (g *gen) googleKey() (string, string) {
	return "AIza" + g.from(b64url, 35), "google"
}

func (g *gen) privateKey() (string, string) {
	label := g.pick("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY")
	var lines []string
	for range g.between(3, 8) {
		lines = append(lines, g.from(alnum+"+/", 64))
	}
	return "-----BEGIN " + label + "-----\n" + strings.Join(lines, "\n") + "\n-----END " + label + "-----", label
}
