package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestDemo runs caddyfile/demo.Caddyfile as `make run` does (on free ports)
// and checks what each demo partner receives for caddyfile/demo-order.json:
// the exact bytes the README shows.
func TestDemo(t *testing.T) {
	t.Parallel()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile(filepath.Join(root, "caddyfile", "demo.Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(root, "caddyfile", "demo-order.json"))
	if err != nil {
		t.Fatal(err)
	}
	port, partner, admin := freePort(t), freePort(t), freePort(t)
	g := startGateway(t, string(conf),
		map[string]string{"Port": strconv.Itoa(port), "Admin": "127.0.0.1:" + strconv.Itoa(admin)},
		"MINIMIZE_KEY="+testKey, "GATEWAY_PORT="+strconv.Itoa(port),
		"PARTNER_PORT="+strconv.Itoa(partner), "ADMIN_PORT="+strconv.Itoa(admin))

	want := map[string]string{
		"/fraud/score": `{"order":{"id":"ord_1042","currency":"EUR","total":129.90},` +
			`"customer":{"id":"` + pseudonym(t, "fraud", "cus_8812") + `","email":"` + pseudonym(t, "fraud", "jane.doe@example.com") + `",` +
			`"ip":"203.0.113.0","address":{"postcode":"NW1","country":"GB"}},` +
			`"items":[{"qty":1,"price":39.90},{"qty":2,"price":45.00}],"payment":{"card":{"number":"************1111"}}}`,
		"/support/tickets": `{"order":{"id":"ord_1042"},"customer":{"name":"Jane Doe","email":"jane.doe@example.com","phone":"************0958"},` +
			`"items":[{"name":"Caddy in Action"},{"name":"Gopher mug"}],"notes":"[REDACTED]"}`,
		"/analytics/events": `{"order":{"created":"2026-11","currency":"EUR","total":129.90},` +
			`"customer":{"id":"` + pseudonym(t, "analytics", "cus_8812") + `","birthdate":"1987","address":{"country":"GB"}},` +
			`"items":[{"sku":"BK-0042","qty":1},{"sku":"MUG-7","qty":2}]}`,
	}
	for path, w := range want {
		status, hdr, resp := post(t, g.url(path), "application/json", body)
		if status != 200 || string(resp) != w || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s\n got  %s\n want %s", path, status, hdr.Get("Content-Type"), resp, w)
		}
	}
	status, _, resp := post(t, g.url("/fraud/score"), "application/json", []byte(`{"a":1,"a":2}`))
	if status != 400 || string(resp) != `{"type":"urn:caddy-minimize:problem:duplicate-key","title":"Request body rejected","status":400,`+
		`"detail":"duplicate key at byte offset 7 (keys are compared decoded and case-insensitively)","partner":"fraud"}` {
		t.Errorf("duplicate keys: %d %s", status, resp)
	}
	assertNoCanary(t, g.logs(), "Jane", "jane.doe", "4111111111111111", "cus_8812", "Baker", "7946 0958")
}
