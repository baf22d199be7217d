package rules

import "testing"

// withLuhn appends the Luhn check digit to the digits of a partial card
// number.
func withLuhn(partial string) string {
	for d := byte('0'); d <= '9'; d++ {
		if luhn([]byte(partial + string(d))) {
			return partial + string(d)
		}
	}
	panic("unreachable")
}

func TestDetectCard(t *testing.T) {
	checkValues(t, detCard, "", []string{
		"4111111111111111", "4012888888881881", withLuhn("422222222222"), withLuhn("411111111111111111"), // Visa 16, 13, 19
		"5555555555554444", "2223003122003222", withLuhn("272099999999999"), // Mastercard 51-55 and 2221-2720
		"378282246310005", "371449635398431", // Amex
		"6011111111111117", withLuhn("644000000000000"), withLuhn("650000000000000000"), withLuhn("622126000000000"), // Discover
		"3530111333300000", withLuhn("358900000000000"), // JCB
		"30569309025904", "38520000023237", withLuhn("3095000000000"), // Diners
		"6200000000000005", withLuhn("621234567890123456"), // UnionPay 16, 19
		"6759649826438453", withLuhn("501800000000"), // Maestro 16, 13
		withLuhn("220000000000000"), // Mir
		"4111 1111 1111 1111", "4111-1111-1111-1111", "3782 822463 10005", "3056 930902 5904",
		"4111 1111 1111 1111 110", // 19 digits in groups of four
	}, []string{
		"4111111111111112",                            // Luhn
		"1234567812345670",                            // passes Luhn, no issuer
		"3782822463100050",                            // Amex is 15 digits
		withLuhn("3400000000000"),                     // ... not 14
		withLuhn("51000000000000000"),                 // Mastercard is 16
		"4111-1111 1111-1111",                         // mixed separators
		"41111 11111 11111 1",                         // odd grouping
		"4111.1111.1111.1111",                         // dots: a version or an id
		"+4111111111111111",                           // a phone-style number
		"ORD-4111111111111111", "4111111111111111abc", // glued to an id
		"0000000000000000",              // no issuer
		"4111 1111 1111 1111 1111 1111", // part of a longer grouped number
		"ref 4111-1111-1111-1111-22",    // ditto
	})
	checkTexts(t, []textCase{
		{"card 4111 1111 1111 1111 exp 12/27 cvv 123", "", []string{"card:4111 1111 1111 1111"}},
		{"cards: 4111111111111111, 5555555555554444.", "", []string{"card:4111111111111111", "card:5555555555554444"}},
	})
}
