package rules

import (
	"testing"
	"time"
)

// validDateByParse is the time.Parse version validDate replaced: the
// reference it must agree with.
func validDateByParse(s string) bool {
	// time.Parse alone would accept a signed year such as "-123".
	for i := range min(len(s), 4) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if len(s) == len("2006-01") {
		_, err := time.Parse("2006-01", s)
		return err == nil
	}
	if len(s) < len("2006-01-02") {
		return false
	}
	if len(s) > 10 && s[10] != 'T' && s[10] != 't' && s[10] != ' ' {
		return false
	}
	_, err := time.Parse("2006-01-02", s[:10])
	return err == nil
}

// TestValidDateMatchesTimeParse compares validDate with time.Parse on every
// year 0000-9999 with months 00-13 and days 00-32 (so every real day and
// the impossible ones around them), and on malformed inputs.
func TestValidDateMatchesTimeParse(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := validDate(s), validDateByParse(s); got != want {
			t.Fatalf("validDate(%q) = %v, time.Parse says %v", s, got, want)
		}
	}
	days, valid := 0, 0
	buf := []byte("0000-00-00")
	for year := range 10000 {
		buf[0], buf[1], buf[2], buf[3] = '0'+byte(year/1000), '0'+byte(year/100%10), '0'+byte(year/10%10), '0'+byte(year%10)
		for month := range 14 {
			buf[5], buf[6] = '0'+byte(month/10), '0'+byte(month%10)
			check(string(buf[:7]))
			for day := range 33 {
				buf[8], buf[9] = '0'+byte(day/10), '0'+byte(day%10)
				s := string(buf)
				check(s)
				if validDate(s) {
					valid++
				}
				days++
			}
		}
	}
	// 3,652,425 days in 10,000 Gregorian years (the proleptic calendar
	// makes year 0 a leap year).
	if valid != 3652425 {
		t.Errorf("%d valid dates among %d, want 3652425", valid, days)
	}

	for _, s := range []string{
		// Lengths around the two forms, and time parts.
		"", "2", "20", "202", "2026", "2026-", "2026-1", "2026-11-", "2026-11-2",
		"2026-11-23", "2026-11-23T", "2026-11-23t14:03:11Z", "2026-11-23 14:03",
		"2026-11-23Z", "2026-11-23-", "2026-11-23+01:00", "2026-11-23\x00", "2026-11-231",
		"2026-11x", "2026-11-23T\xff", "2026-11-2\xff", "2026-11-23é",
		// Months and days out of range.
		"2026-00", "2026-13", "2026-99", "2026-00-10", "2026-13-01", "2026-01-00", "2026-01-32",
		"2026-04-31", "2026-06-31", "2026-09-31", "2026-11-31", "2026-12-31", "2026-07-31", "2026-08-31",
		// February 29 on leap and non-leap years, centuries included.
		"1900-02-29", "2000-02-29", "2100-02-29", "2400-02-29", "2024-02-29", "2023-02-29",
		"0000-02-29", "0100-02-29", "0400-02-29", "9999-02-29", "9996-02-29", "2024-02-30",
		"1900-02-28", "2100-02-28T00:00:00Z",
		// Signs, spaces and non-digits wherever a digit goes.
		"-123-01", "+123-01", "-0123-01-01", " 2026-11", "2026-+1", "2026--1", "2026-1-01",
		"2026-01-+1", "2026-01--1", "2026-01- 1", "2026-01-1 ", "2026/11/23", "2026.11",
		"20x6-11-23", "a026-11-23", "202a-11", "2026-a1", "2026-1a", "2026-11-a3", "2026-11-2a",
		"２026-11-23", "2026-１1", "2026_11_23", "2026-11_23", "2026-11-23_",
		"0000-01", "9999-12", "9999-12-31", "0000-01-01", "10000-01-01", "12026-11",
	} {
		check(s)
	}
	// Every byte in every position of a valid date and of a valid month.
	for _, base := range []string{"2024-02-29T10:00", "2024-02-29", "2024-02"} {
		for i := range len(base) {
			for c := range 256 {
				b := []byte(base)
				b[i] = byte(c)
				check(string(b))
			}
		}
	}
}

func BenchmarkValidDate(b *testing.B) {
	for _, c := range []struct {
		name string
		f    func(string) bool
	}{{"handwritten", validDate}, {"time.Parse", validDateByParse}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				for _, s := range []string{"2026-11-23T14:03:11Z", "1987-06-14", "2026-11"} {
					if !c.f(s) {
						b.Fatalf("%s refused", s)
					}
				}
			}
		})
	}
}
