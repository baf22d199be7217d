package rules

// US Social Security numbers: AAA-GG-SSSS with the ranges the SSA never
// issues excluded. The dashed form is distinctive enough alone; nine bare
// digits (or spaced groups) are an SSN only where a field name or a label
// says so, or every order number would be one.

type ssnForm uint8

const (
	ssnNone    ssnForm = iota
	ssnDashed          // 078-05-1121: an SSN wherever it is
	ssnContext         // 078051121, 078 05 1121: an SSN after an "ssn" label
)

// ssn classifies groups a..b.
func (c *numCluster) ssn(a, b int) ssnForm {
	if a == 0 && c.lead != 0 {
		return ssnNone
	}
	var buf [9]byte
	form := ssnNone
	switch {
	case b == a && c.glen(a) == 9:
		form = ssnContext
	case b == a+2 && c.glen(a) == 3 && c.glen(a+1) == 2 && c.glen(b) == 4:
		switch {
		case c.sameSeps(a, b, "-"):
			form = ssnDashed
		case c.sameSeps(a, b, " "):
			form = ssnContext
		}
	}
	if form == ssnNone || !validSSN(c.appendDigits(buf[:0], a, b)) {
		return ssnNone
	}
	return form
}

// validSSN reports whether nine digits are an SSN the SSA could have issued:
// area not 000, 666 or 900-999; group not 00; serial not 0000; and not one of
// the numbers printed on sample cards.
func validSSN(d []byte) bool {
	s := string(d) // nine bytes; the compiler keeps this on the stack
	switch {
	case s[:3] == "000", s[:3] == "666", s[0] == '9', s[3:5] == "00", s[5:] == "0000",
		s == "078051120", s == "219099999":
		return false
	}
	return true
}
