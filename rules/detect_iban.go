package rules

// IBANs: a country with a known IBAN length, check digits 02-98 and the
// ISO 13616 mod-97 check, written compact or in groups of four.

// ibanLengths holds the IBAN length per country (SWIFT IBAN registry),
// indexed by ibanCountry.
var ibanLengths = func() (t [26 * 26]uint8) {
	for _, e := range []struct {
		cc string
		n  uint8
	}{
		{"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
		{"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
		{"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
		{"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
		{"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
		{"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
		{"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
		{"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
		{"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
		{"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
	} {
		t[ibanCountry(e.cc[0], e.cc[1])] = e.n
	}
	return t
}()

func ibanCountry(a, b byte) int { return int(a-'A')*26 + int(b-'A') }

// ibanAt reports whether an IBAN starts at p and where it ends.
func ibanAt(t string, p int) (int, bool) {
	if p+4 > len(t) || classAt(t, p-1, clWord) || !classAt(t, p, clUpper) || !classAt(t, p+1, clUpper) ||
		!classAt(t, p+2, clDigit) || !classAt(t, p+3, clDigit) {
		return 0, false
	}
	want := int(ibanLengths[ibanCountry(t[p], t[p+1])])
	if check := int(t[p+2]-'0')*10 + int(t[p+3]-'0'); want == 0 || check < 2 || check > 98 {
		return 0, false
	}
	var buf [34]byte
	d := append(buf[:0], t[p:p+4]...)
	i := p + 4
	spaced := i < len(t) && t[i] == ' '
	for len(d) < want {
		if spaced && len(d)%4 == 0 {
			if i >= len(t) || t[i] != ' ' {
				return 0, false
			}
			i++
		}
		if !classAt(t, i, clDigit|clUpper) {
			return 0, false
		}
		d = append(d, t[i])
		i++
	}
	if classAt(t, i, clWord) {
		return 0, false // longer than the country's IBANs
	}
	return i, mod97(d)
}

// mod97 reports whether an IBAN's rearranged number (BBAN, then country and
// check digits, letters as 10-35) is 1 modulo 97.
func mod97(d []byte) bool {
	r := 0
	for k := range d {
		c := d[(k+4)%len(d)]
		if c >= 'A' {
			r = (r*100 + int(c-'A') + 10) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r == 1
}
