package rules

import "testing"

func TestHasDigit8(t *testing.T) {
	b := make([]byte, 8)
	for c := 0; c < 256; c++ {
		for pos := range b {
			for _, fill := range []byte{'a', 0xff, 0x00, '/', ':', 0xb9} {
				for i := range b {
					b[i] = fill
				}
				b[pos] = byte(c)
				want := '0' <= c && c <= '9'
				if got := hasDigit8(string(b)); got != want {
					t.Fatalf("hasDigit8(%q) = %v", b, got)
				}
			}
		}
	}
}

func TestNumericClusters(t *testing.T) {
	// Separators join groups; anything else ends a cluster.
	checkTexts(t, []textCase{
		{"+44 (0)20 7946 0958", "", []string{"phone:+44 (0)20 7946 0958"}},
		{"1-(415) 555-2671", "", nil},
		{"415--555--2671", "", nil},
		{"x415-555-2671", "", nil},
		{"415-555-2671x", "", nil},
		{"415-555-2671.", "", []string{"phone:415-555-2671"}},
		{"9400 0815 7003 3887 4424 61", "", nil},
		{"4111 1111 1111 1111 12/27", "", []string{"card:4111 1111 1111 1111"}},
		{"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 415-555-2671", "", []string{"phone:415-555-2671"}},
	})
}
