package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// e2eJWT is a well-formed JWT (jwt.io's example): what leaks from logs.
const e2eJWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

const categoryPolicy = `
	route /desk {
		minimize desk {
			key {env.MINIMIZE_KEY}
			category loyalty {
				fields member_number loyalty*
			}
			category contact {
				fields kontakt
			}
			keep ticket.id ticket.subject customer.country query.page
			scan ticket.notes ticket.comments.#.body
			pseudonymize @contact
			mask @payment last4
			drop @loyalty
			generalize @network ip/24
		}
		reverse_proxy {{.Upstream}}
	}
	route /keep {
		minimize open {
			default keep
		}
		reverse_proxy {{.Upstream}}
	}
	route /nofloor {
		minimize trusted {
			default keep
			floor none
		}
		reverse_proxy {{.Upstream}}
	}`

// TestCategories: rules written in categories hold by field name in any
// naming style, by value, and inside free text; the credentials floor holds
// under default keep; and the disclosure record names the category rules.
func TestCategories(t *testing.T) {
	t.Parallel()
	u := newUpstream(t)
	g := startGateway(t, globalBlock+site(categoryPolicy), map[string]string{"Upstream": u.addr()}, "MINIMIZE_KEY="+testKey)

	body := `{"ticket":{"id":"T-1042","subject":"Refund","notes":"Call canary.ann@example.com or +44 20 7946 0958; card 4111 1111 1111 1111; token Bearer ` + e2eJWT + `",` +
		`"comments":[{"body":"VPN from 203.0.113.77, order 1234-5678","author":"canary-agent"}]},` +
		`"customer":{"customerEmail":"canary.ann@example.com","Kontakt":"canary.k@example.com","member_number":"canary-L-77","loyaltyTier":"gold",` +
		`"password":"canary-pw","country":"GB","lastIp":"198.51.100.23","cardNumber":"5555555555554444","ref":"canary.ref@example.org"}}`
	status, _, resp := post(t, g.url("/desk?page=2&email=canary.q%40example.com&access_token=canary-at"), "application/json", []byte(body))
	ps := func(v string) string { return pseudonym(t, "desk", v) }
	want := `{"ticket":{"id":"T-1042","subject":"Refund","notes":"Call ` + ps("canary.ann@example.com") + ` or ` + ps("+44 20 7946 0958") +
		`; card ***************1111; token [REDACTED]",` +
		`"comments":[{"body":"VPN from 203.0.113.0, order 1234-5678"}]},` +
		`"customer":{"customerEmail":"` + ps("canary.ann@example.com") + `","Kontakt":"` + ps("canary.k@example.com") + `",` +
		`"country":"GB","lastIp":"198.51.100.0","cardNumber":"************4444","ref":"` + ps("canary.ref@example.org") + `"}}`
	r := u.last(t)
	if status != 200 || string(r.Body) != want || string(resp) != want {
		t.Errorf("upstream got\n%s\nwant\n%s", r.Body, want)
	}
	if wantURI := "/desk?page=2&email=" + ps("canary.q@example.com"); r.URI != wantURI {
		t.Errorf("upstream URI %s, want %s", r.URI, wantURI)
	}
	a := nthAudit(t, g, 1)
	// The record names the categories that went out, kept or transformed.
	if got := fmt.Sprint(a.Categories.Clear, a.Categories.Transformed); got != "[demographic location] [contact payment network]" {
		t.Errorf("disclosed categories %s", got)
	}
	fields := fmt.Sprint(a.Fields)
	for _, f := range []string{"{pseudonymize @contact 5 false}", "{mask @payment 2 false}", "{drop @loyalty 2 false}", "{generalize @network 2 false}",
		"{drop @credentials 2 true}", "{scan ticket.notes 1 false}", "{pseudonymize query.@contact 1 false}", "{drop query.@credentials 1 true}"} {
		if !strings.Contains(fields, f) {
			t.Errorf("audit fields %s lack %s", fields, f)
		}
	}

	// The floor holds under default keep: by name, by value, inside text.
	open := `{"user":{"name":"Ann","apiKey":"canary-key","pwd":"canary-pw2"},"trace":"` + e2eJWT + `","note":"use Bearer ` + e2eJWT + ` today","n":1}`
	status, _, _ = post(t, g.url("/keep?n=1&refresh_token=canary-rt"), "application/json", []byte(open))
	r = u.last(t)
	if want := `{"user":{"name":"Ann"},"note":"use [REDACTED] today","n":1}`; status != 200 || string(r.Body) != want || r.URI != "/keep?n=1" {
		t.Errorf("floor under default keep: %d %s %s, want %s", status, r.URI, r.Body, want)
	}
	// A name holding a credential is one; a document that is one value is
	// checked by its value.
	status, _, _ = post(t, g.url("/keep"), "application/json", []byte(`{"devicePassword":"canary-dp","deviceModel":"Pixel","n":1}`))
	if r = u.last(t); status != 200 || string(r.Body) != `{"deviceModel":"Pixel","n":1}` {
		t.Errorf("devicePassword: %d %s", status, r.Body)
	}
	status, _, _ = post(t, g.url("/keep"), "application/json", []byte(`"`+e2eJWT+`"`))
	if r = u.last(t); status != 200 || string(r.Body) != `null` {
		t.Errorf("a document that is a token: %d %s", status, r.Body)
	}
	// floor none is the written exception.
	status, _, _ = post(t, g.url("/nofloor"), "application/json", []byte(`{"password":"p","n":1}`))
	if r = u.last(t); status != 200 || string(r.Body) != `{"password":"p","n":1}` {
		t.Errorf("floor none: %d %s", status, r.Body)
	}
	assertNoCanary(t, g.logs(), "canary", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
}
