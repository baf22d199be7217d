package rules

// Payment card numbers (PANs): a known issuer range with its lengths, the
// Luhn check digit, and a grouping people write: one run of digits, groups
// of four, or Amex's 4-6-5 (Diners 4-6-4), separated by spaces or dashes.

// card reports whether groups a..b hold a payment card number.
func (c *numCluster) card(a, b int) bool {
	if a == 0 && c.lead != 0 || !c.sameSeps(a, b, " ", "-") || c.continues(a, b) {
		return false
	}
	switch n := b - a + 1; {
	case n == 1:
	case n == 3 && c.glen(a) == 4 && c.glen(a+1) == 6 && (c.glen(b) == 5 || c.glen(b) == 4):
	case n >= 3 && c.glen(b) <= 4:
		for i := a; i < b; i++ {
			if c.glen(i) != 4 {
				return false
			}
		}

	default:
		return false
	}
	var buf [20]byte
	d := c.appendDigits(buf[:0], a, b)
	return cardIIN(d) && luhn(d)
}

// cardIIN reports whether the leading digits of d name a card scheme that
// issues numbers of d's length.
func cardIIN(d []byte) bool {
	n := len(d)
	p := func(k int) int {
		v := 0
		for _, c := range d[:k] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	p2, p3, p4, p6 := p(2), p(3), p(4), p(6)
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case 51 <= p2 && p2 <= 55, 2221 <= p4 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34, p2 == 37: // American Express
		return n == 15
	case p4 == 6011, 644 <= p3 && p3 <= 649, p2 == 65, 622126 <= p6 && p6 <= 622925: // Discover
		return 16 <= n && n <= 19
	case 3528 <= p4 && p4 <= 3589: // JCB
		return 16 <= n && n <= 19
	case 300 <= p3 && p3 <= 305, p4 == 3095, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return 14 <= n && n <= 19
	case p2 == 62: // UnionPay
		return 16 <= n && n <= 19
	case p4 == 5018, p4 == 5020, p4 == 5038, p4 == 5893, p4 == 6304, 6759 <= p4 && p4 <= 6763: // Maestro
		return 12 <= n && n <= 19
	case 2200 <= p4 && p4 <= 2204: // Mir
		return 16 <= n && n <= 19
	}
	return false
}

// luhn reports whether the digits d end in a valid Luhn check digit.
func luhn(d []byte) bool {
	sum := 0
	for i := range d {
		v := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}
