package corpusgen

import (
	"fmt"
	"strings"
)

// Support notes: sentences as agents write them, some carrying personal
// data (the spans a scanner must find), some carrying look-alikes.

// piece is a sentence template: its text around one value, the value's
// source, and the detector that must find it ("" for a look-alike).
type piece struct {
	before, after string
	src           source
	detector      string
}

func (g *gen) personalPieces() []piece {
	title := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	name := func() string { return title(g.pick(firstNames...)) + " " + title(g.pick(lastNames...)) }
	return []piece{
		{"Customer " + name() + " can be reached at ", ".", g.email, "email"},
		{"Please reply to ", " before Friday.", g.email, "email"},
		{"Call back on ", " after 5pm.", g.phone, "phone"},
		{"Her mobile is ", ", landline unknown.", g.phone, "phone"},
		{"She paid with card ", " (exp 04/28).", g.card, "card"},
		{"Charge the card ending in the number ", " again.", g.card, "card"},
		{"Refund to IBAN ", " please.", g.iban, "iban"},
		{"New payout account: ", ".", g.iban, "iban"},
		{"Login from ", " was flagged by fraud.", g.ipv4, "ipv4"},
		{"Session came from ", " this morning.", g.ipv6, "ipv6"},
		{"Registered device MAC ", ".", g.mac, "mac"},
		{"SSN ", " was sent by mistake.", g.ssnDashed, "ssn"},
		{"Their SSN: ", " (verify!).", g.ssnBare, "ssn"},
		{"DOB: ", " per the ID check.", g.dob, "birthdate"},
		{"Date of birth is ", ", so not a minor.", g.dob, "birthdate"},
		{"The app sent Authorization: ", " in the log.", g.bearer, "bearer"},
		{"The id_token=", " was pasted in chat.", g.jwt, "jwt"},
		{"Someone pasted ", " into the ticket.", g.awsKey, "aws_access_key"},
		{"Revoke token ", " now.", g.githubToken, "github_token"},
		{"Slack token ", " leaked.", g.slackToken, "slack_token"},
		{"Rotate ", " today.", g.stripeKey, "stripe_key"},
		{"Maps key ", " is over quota.", g.googleKey, "google_api_key"},
		{"Key attached:\n", "\nEnd of key.", g.privateKey, "private_key"},
	}
}

func (g *gen) lookalikePieces() []piece {
	text := func(f func() string) source { return func() (string, string) { return f(), "" } }
	return []piece{
		{"Order ", " was placed on 2026-03-02 for EUR 129.90.", text(func() string { return "ORD-2026-" + g.digits(6) }), ""},
		{"Tracking ", " shows a delay since 2026-03-05 10:42.", text(func() string { return "1Z" + g.from(upper+digitSet, 16) }), ""},
		{"App version ", " (build 20260301.2) on iOS 17.4.", text(func() string { return fmt.Sprintf("%d.%d.%d", g.r.IntN(9), g.r.IntN(30), g.r.IntN(9)) }), ""},
		{"Request id ", ".", text(func() string {
			return g.from(hexSet, 8) + "-" + g.from(hexSet, 4) + "-4" + g.from(hexSet, 3) + "-a" + g.from(hexSet, 3) + "-" + g.from(hexSet, 12)
		}), ""},
		{"Invoice ", " total 1,234.56 due 2026-04-01.", text(func() string { return "INV-2026-" + g.digits(5) }), ""},
		{"ISBN ", " is out of stock.", text(func() string { return "978-3-" + g.digits(2) + "-" + g.digits(6) + "-" + g.digits(1) }), ""},
		{"Ticket #", " (priority 2) reopened at 14:30.", text(func() string { return g.digits(5) }), ""},
		{"Commit ", " fixed it.", text(func() string { return g.from(hexSet, 40) }), ""},
		{"Reference ", " did not match.", text(func() string {
			return g.digits(4) + " " + g.digits(4) + " " + g.digits(4) + " " + g.digits(4) + " " + g.digits(4)
		}), ""},
		{"Shipped ", " pieces to warehouse 12.", text(func() string { return fmt.Sprint(g.between(1, 900)) }), ""},
		{"Part number ", " is back-ordered.", text(func() string { return "1" + g.digits(2) + "-" + g.digits(3) + "-" + g.digits(4) }), ""},
	}
}

// notes returns n notes of two to six sentences, at least one of them with
// personal data.
func (g *gen) notes(n int) []Note {
	out := make([]Note, 0, n)
	for range n {
		var b strings.Builder
		var spans []Span
		k := g.between(2, 6)
		hasPII := false
		for i := range k {
			var ps []piece
			if !hasPII && i == k-1 || g.r.IntN(2) == 0 {
				ps = g.personalPieces()
			} else {
				ps = g.lookalikePieces()
			}
			p := ps[g.r.IntN(len(ps))]
			v, _ := p.src()
			if i > 0 {
				b.WriteString(g.pick(" ", " ", "\n", "  "))
			}
			b.WriteString(p.before + v + p.after)
			if p.detector != "" {
				spans = append(spans, Span{p.detector, v})
				hasPII = true
			}
		}
		out = append(out, Note{Text: b.String(), Spans: spans})
	}
	return out
}
