package corpusgen

import "fmt"

// source makes one value and names its kind.
type source func() (string, string)

// positives are valid personal data in fields named as applications name
// them ("" is a value seen without a field name).
func (g *gen) positives() []Value {
	var out []Value
	add := func(n int, want string, src source, fields ...string) {
		for range n {
			text, kind := src()
			out = append(out, Value{Field: g.pick(fields...), Text: text, Want: want, Kind: kind})
		}
	}
	add(150, "email", g.email, "", "email", "customerEmail", "contact_email", "user.email", "login", "recipient")
	add(240, "phone", g.phone, "", "phone", "phoneNumber", "mobile", "contact", "tel")
	add(200, "card", g.card, "", "card_number", "pan", "payment.card", "cc")
	add(150, "iban", g.iban, "", "iban", "bank_account", "payout_account")
	add(100, "ipv4", g.ipv4, "", "ip", "client_ip", "remoteAddr", "x-forwarded-for")
	add(80, "ipv6", g.ipv6, "", "ip", "ipv6", "client_ip")
	add(50, "mac", g.mac, "", "mac", "device_mac")
	add(80, "ssn", g.ssnDashed, "", "ssn", "tax_id", "note")
	add(60, "ssn", g.ssnBare, "ssn", "SSN", "social_security_number", "ssnNumber")
	add(150, "birthdate", g.dob, "dob", "birthDate", "date_of_birth", "birthday", "customer_dob", "DOB")
	add(80, "jwt", g.jwt, "", "id_token", "jwt", "assertion")
	add(60, "bearer", g.bearer, "", "authorization", "Authorization", "auth_header")
	add(40, "aws_access_key", g.awsKey, "", "aws_access_key_id", "key")
	add(60, "github_token", g.githubToken, "", "token", "github_token", "GH_TOKEN")
	add(40, "slack_token", g.slackToken, "", "slack_token", "token")
	add(40, "stripe_key", g.stripeKey, "", "stripe_key", "secret")
	add(40, "google_api_key", g.googleKey, "", "api_key", "maps_key")
	add(20, "private_key", g.privateKey, "", "private_key", "pem")
	return out
}

// lookalikes are values shaped like personal data that are not: a detector
// that flags one loses precision.
func (g *gen) lookalikes() []Value {
	var out []Value
	add := func(n int, kind string, src func() string, fields ...string) {
		for range n {
			out = append(out, Value{Field: g.pick(fields...), Text: src(), Want: "none", Kind: kind})
		}
	}
	add(80, "order number", func() string {
		return g.pick("ORD-2026-"+g.digits(6), "#"+g.digits(5), g.digits(9), g.digits(10), "SO"+g.digits(8), "PO-"+g.digits(3)+"-"+g.digits(3)+"-"+g.digits(4))
	}, "order_id", "orderNumber", "reference", "")
	add(80, "uuid", func() string {
		return g.from(hexSet, 8) + "-" + g.from(hexSet, 4) + "-4" + g.from(hexSet, 3) + "-" + g.pick("8", "9", "a", "b") + g.from(hexSet, 3) + "-" + g.from(hexSet, 12)
	}, "id", "request_id", "trace_id", "")
	add(100, "timestamp", func() string {
		y, m, d := g.between(2015, 2030), g.between(1, 12), g.between(1, 28)
		h, mi, s := g.r.IntN(24), g.r.IntN(60), g.r.IntN(60)
		return g.pick(
			fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, h, mi, s),
			fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, m, d, h, mi, s),
			fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03d+01:00", y, m, d, h, mi, s, g.r.IntN(1000)),
			fmt.Sprintf("%d", 1500000000+g.r.IntN(400000000)),
			fmt.Sprintf("%d", 1500000000000+g.r.IntN(400000000000)),
			fmt.Sprintf("%02d/%02d/%04d %02d:%02d", m, d, y, h, mi),
		)
	}, "created_at", "updated", "ts", "")
	add(60, "date outside a birth field", func() string {
		v, _ := g.dob()
		return v
	}, "created_at", "ship_date", "valid_from", "expires", "")
	add(60, "price", func() string {
		return g.pick(fmt.Sprintf("%d.%02d", g.between(1, 99999), g.r.IntN(100)), fmt.Sprintf("EUR %d,%02d", g.between(1, 9999), g.r.IntN(100)),
			fmt.Sprintf("$%d,%03d.%02d", g.between(1, 999), g.r.IntN(1000), g.r.IntN(100)), fmt.Sprintf("%d", g.between(1, 1000000)))
	}, "price", "total", "amount", "")
	add(80, "version", func() string {
		a, b, c, d := g.r.IntN(20), g.r.IntN(40), g.r.IntN(100), g.r.IntN(100)
		return g.pick(fmt.Sprintf("%d.%d.%d", a, b, c), fmt.Sprintf("v%d.%d.%d.%d", a, b, c, d), fmt.Sprintf("version %d.%d.%d.%d", a, b, c, d),
			fmt.Sprintf("%d.%d.%d-beta.%d", a, b, c, d), fmt.Sprintf("10.0.%d.%d", g.between(10000, 30000), d), fmt.Sprintf("build %d.%d.%d.%d", a, b, c, d))
	}, "version", "app_version", "os", "")
	add(60, "tracking number", func() string {
		return g.pick("1Z"+g.from(upper+digitSet, 16), "9400 "+g.digits(4)+" "+g.digits(4)+" "+g.digits(4)+" "+g.digits(4)+" "+g.digits(2),
			"JJD"+g.digits(18), "7"+g.digits(11), "7"+g.digits(3)+" "+g.digits(4)+" "+g.digits(4), "LX"+g.digits(9)+"DE")
	}, "tracking", "tracking_number", "")
	add(40, "isbn", func() string {
		return g.pick("978-"+g.digits(1)+"-"+g.digits(2)+"-"+g.digits(6)+"-"+g.digits(1), "978"+g.digits(10), "979-"+g.digits(2)+"-"+g.digits(3)+"-"+g.digits(4)+"-"+g.digits(1))
	}, "isbn", "")
	add(40, "invoice number", func() string {
		return g.pick("INV-2026-"+g.digits(5), "RE"+g.digits(8), "2026/"+g.digits(6), "F-"+g.digits(4)+"-"+g.digits(6))
	}, "invoice", "invoice_no", "")
	add(80, "16 digits failing Luhn", func() string {
		d := g.cardDigits(g.r.IntN(len(cardBrands)))
		last := (d[len(d)-1]-'0'+byte(g.between(1, 9)))%10 + '0'
		return g.groupCard(d[:len(d)-1] + string(last))
	}, "card_number", "ref", "")
	add(60, "Luhn-valid without an issuer", func() string {
		body := g.pick("1", "7", "8", "9", "0") + g.digits(14)
		return body + string(luhnDigit(body))
	}, "account", "ref", "")
	add(60, "IBAN failing mod-97", func() string {
		s, _ := g.ibanCompact()
		i := g.between(4, len(s)-1)
		if s[i] >= 'A' {
			return s[:2] + fmt.Sprintf("%02d", (int(s[2]-'0')*10+int(s[3]-'0')+g.between(1, 90))%97+2) + s[4:]
		}
		s = s[:i] + string((s[i]-'0'+byte(g.between(1, 9)))%10+'0') + s[i+1:]
		if g.r.IntN(2) == 0 {
			s = spaced4(s)
		}
		return s
	}, "iban", "")
	add(40, "IBAN-shaped with an unknown country", func() string { return g.pick("US", "CA", "AU", "JP", "XX") + g.digits(2) + g.digits(18) }, "iban", "")
	add(80, "phone-like product code", func() string {
		return g.pick("1"+g.digits(2)+"-"+g.digits(3)+"-"+g.digits(4), "SKU-"+g.digits(3)+"-"+g.digits(3)+"-"+g.digits(4),
			g.digits(3)+"-"+g.digits(3)+"-"+g.digits(3), "0"+g.digits(3)+"-"+g.digits(4)+"-"+g.digits(2),
			"911-"+g.digits(3)+"-"+g.digits(4), "PN "+g.from("123456789", 1)+g.digits(1)+" "+g.digits(2)+" "+g.digits(2)+" "+g.digits(2)+" "+g.digits(2))
	}, "sku", "part_number", "model", "")
	add(60, "hash", func() string {
		return g.pick(g.from(hexSet, 40), g.from(hexSet, 64), "sha256:"+g.from(hexSet, 64), g.from(hexSet, 32))
	}, "sha", "etag", "checksum", "")
	add(60, "base64 that is not a JWT", func() string {
		return g.pick(b64.EncodeToString([]byte(g.from(alnum, 40))), "eyJ"+g.from(b64url, 30)+"."+g.from(b64url, 20)+"."+g.from(b64url, 20),
			b64.EncodeToString([]byte(`{"typ":"JWT","kid":"`+g.from(alnum, 8)+`"}`))+"."+b64.EncodeToString([]byte(`{"a":1}`))+"."+g.from(b64url, 20),
			b64.EncodeToString([]byte(`{"alg":"HS256"}`))+"."+b64.EncodeToString([]byte(`["not","an","object"]`))+"."+g.from(b64url, 20))
	}, "blob", "data", "cursor", "")
	add(40, "SSN-shaped outside the issued ranges", func() string {
		return g.pick("000", "666", fmt.Sprintf("9%02d", g.r.IntN(100))) + "-" + g.digits(2) + "-" + g.digits(4)
	}, "ssn", "ref", "")
	add(40, "nine digits outside an SSN field", func() string { a, b, c := g.ssnDigits(); return a + b + c }, "order_id", "zip_plus", "account", "")
	add(40, "IP-like", func() string {
		return g.pick(fmt.Sprintf("%d.%d.%d", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256)), fmt.Sprintf("%d.%d.%d.%d", g.between(256, 999), g.r.IntN(256), g.r.IntN(256), g.r.IntN(256)),
			fmt.Sprintf("%d.%02d.%04d", g.between(1, 28), g.between(1, 12), g.between(1990, 2030)), fmt.Sprintf("%02d:%02d:%02d", g.r.IntN(24), g.r.IntN(60), g.r.IntN(60)))
	}, "ref", "time", "")
	add(30, "email-like", func() string {
		return g.pick("icon@2x.png", "logo@3x.webp", "@"+g.pick(firstNames...), g.pick(firstNames...)+"@localhost", "pkg@"+g.digits(1)+"."+g.digits(1)+"."+g.digits(1), "user@"+g.pick(firstNames...))
	}, "handle", "asset", "")
	add(40, "API-key-like", func() string {
		return g.pick("AKIA"+g.from(upper, 15), "ghp_"+g.from(alnum, 35), "sk_test_"+g.from(alnum, 24), "AIza"+g.from(b64url, 34), "xoxb-not-a-token", "pk_live_"+g.from(alnum, 10), "github_pat_"+g.from(alnum, 20))
	}, "key", "ref", "")
	add(40, "postal code or quantity", func() string {
		return g.pick(g.digits(5), "SW1A "+g.digits(1)+"AA", g.digits(5)+"-"+g.digits(4), fmt.Sprintf("%d pcs", g.between(1, 500)), "75008 Paris")
	}, "zip", "postcode", "qty", "")
	return out
}
