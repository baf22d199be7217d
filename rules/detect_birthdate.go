package rules

// Birth dates are dates, and dates are everywhere (orders, invoices, logs):
// a date counts as a birth date only where a field name or a label right
// before it says so ("dob", "date of birth", "born on"), and only if it is
// a real calendar day from 1900 to this year. Numeric forms: 1987-06-05,
// 1987/06/05, 05.06.1987, 06/05/1987 (either order), 19870605, and an ISO
// timestamp whose date part is one.

// birthDate adds groups a..b if they hold a plausible birth date in context.
func (r *spanFinder) birthDate(c *numCluster, a, b, digits int) {
	if digits < 6 || digits > 8 || a == 0 && c.lead != 0 || !c.calendarDate(a, b, r.s.maxYear) {
		return
	}
	start, end := c.g[a].start, c.g[b].end
	if b == c.n-1 && c.timeAfter {
		end = timePartEnd(r.text, end)
		if classAt(r.text, end, clWord) {
			return
		}
	}
	if r.context(start, detBirthDate) {
		r.add(start, end, detBirthDate)
	}
}

// calendarDate reports whether groups a..b are a date in a numeric form.
func (c *numCluster) calendarDate(a, b, maxYear int) bool {
	num := func(s string) int {
		v := 0
		for i := 0; i < len(s); i++ {
			v = v*10 + int(s[i]-'0')
		}
		return v
	}
	switch {
	case a == b && c.glen(a) == 8:
		g := c.grp(a)
		return plausibleDate(num(g[:4]), num(g[4:6]), num(g[6:]), maxYear)
	case b != a+2 || !c.sameSeps(a, b, "-", "/", "."):
		return false
	case c.glen(a) == 4 && c.glen(a+1) <= 2 && c.glen(b) <= 2:
		return plausibleDate(num(c.grp(a)), num(c.grp(a+1)), num(c.grp(b)), maxYear)
	case c.glen(a) <= 2 && c.glen(a+1) <= 2 && c.glen(b) == 4:
		x, y, year := num(c.grp(a)), num(c.grp(a+1)), num(c.grp(b))
		return plausibleDate(year, y, x, maxYear) || plausibleDate(year, x, y, maxYear)
	}
	return false
}

// plausibleDate reports whether y-m-d is a calendar day in 1900..maxYear.
func plausibleDate(y, m, d, maxYear int) bool {
	if y < 1900 || y > maxYear || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m]
	if m == 2 && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// timePartEnd returns the end of the time part of an ISO timestamp whose
// "T" is at i: digits, colons and a fraction, then Z or an offset.
func timePartEnd(t string, i int) int {
	j := i + 1
	for j < len(t) && (classAt(t, j, clDigit) || t[j] == ':' || t[j] == '.') {
		j++
	}
	switch {
	case j < len(t) && (t[j] == 'Z' || t[j] == 'z'):
		j++
	case j < len(t) && (t[j] == '+' || t[j] == '-') && classAt(t, j+1, clDigit):
		j++
		for j < len(t) && (classAt(t, j, clDigit) || t[j] == ':') {
			j++
		}
	}
	return j
}
