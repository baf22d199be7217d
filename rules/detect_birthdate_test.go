package rules

import "testing"

func TestDetectBirthDate(t *testing.T) {
	for _, field := range []string{"dob", "birthDate", "date_of_birth", "BIRTHDAY", "customer.birthdate", "born_on"} {
		checkValues(t, detBirthDate, field, []string{
			"1987-06-05", "1987/06/05", "05.06.1987", "06/05/1987", "5/6/1987", "19870605", "1900-01-01",
			"2000-02-29", "1987-06-05T00:00:00Z", "1987-06-05T12:30:00.000+02:00",
		}, []string{
			"1899-12-31", "2999-01-01", "1987-02-29", "1987-13-01", "1987-06-31", "32.01.1987", "13/13/1987",
			"1987-06", "87-06-05", "1987-06-05-01", "June 5", "198706051",
		})
	}
	// A date is a birth date only in context.
	checkValues(t, detBirthDate, "created_at", nil, []string{"1987-06-05", "2026-03-14T10:30:00Z"})
	checkTexts(t, []textCase{
		{"DOB: 1987-06-05, joined 2019-04-01", "", []string{"birthdate:1987-06-05"}},
		{"date of birth is 05.06.1987", "", []string{"birthdate:05.06.1987"}},
		{"born on 06/05/1987 in Leeds", "", []string{"birthdate:06/05/1987"}},
		{"shipped 2026-03-02, delivered 2026-03-05", "", nil},
	})
}
