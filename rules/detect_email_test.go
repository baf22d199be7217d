package rules

import (
	"strings"
	"testing"
)

func TestDetectEmail(t *testing.T) {
	checkValues(t, detEmail, "", []string{
		"jane@example.com", "jane.doe@example.co.uk", "j+tag@sub.example.org", "a_b-c%d@x-y.example",
		"JANE@EXAMPLE.COM", "user@bücher.example", "pat@xn--bcher-kva.example", "x@example.рф",
		"1234@example.com", strings.Repeat("a", 64) + "@example.com",
	}, []string{
		"jane@", "@example.com", "jane@localhost", "jane@example", "jane@example.c0m", "jane@192.168.1.1",
		"icon@2x.png", "logo@3x.webp", "pkg@1.2.3", "jane.@example.com",
		"jane@-example.com", "jane@example-.com", "@jane", strings.Repeat("a", 65) + "@example.com",
		"jane@example.com_x", "jane@exa_mple.com",
	})
	checkTexts(t, []textCase{
		{"Mail jane.doe@example.com.", "", []string{"email:jane.doe@example.com"}},
		{"<jane@example.com>, (joe@example.org)", "", []string{"email:jane@example.com", "email:joe@example.org"}},
		{"mailto:jane@example.com?subject=x", "", []string{"email:jane@example.com"}},
		{"wait...jane@example.com", "", []string{"email:jane@example.com"}},
		{"a@b@example.com", "", []string{"email:b@example.com"}},
		{"jane..doe@example.com", "", []string{"email:doe@example.com"}}, // the part after the typo is an address
		{"see @jane or #tag@ or jane@ example.com", "", nil},
	})
}
