package rules

import "testing"

func TestDetectSSN(t *testing.T) {
	checkValues(t, detSSN, "", []string{"078-05-1121", "123-45-6789", "899-99-9999", "001-01-0001"}, []string{
		"000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", // never issued
		"078-05-1120", "219-09-9999", // printed on sample cards
		"123456789", "123 45 6789", // need a field or label that says SSN
		"123-456-789", "12-345-6789", "123-45-67890", "A123-45-6789", "123-45-6789-1",
	})
	checkValues(t, detSSN, "ssn", []string{"123456789", "123 45 6789", "078-05-1121"}, []string{"000123456", "1234567890"})
	checkValues(t, detSSN, "socialSecurityNumber", []string{"123456789"}, nil)
	checkValues(t, detSSN, "order_id", nil, []string{"123456789"})
	checkTexts(t, []textCase{
		{"SSN: 123456789 on file", "", []string{"ssn:123456789"}},
		{"her social security number is 123 45 6789.", "", []string{"ssn:123 45 6789"}},
		{"order 123456789 shipped", "", nil},
	})
}
