// Package benchdoc makes the order documents that the engine benchmarks,
// the handler benchmarks and the load test all send, so the three measure
// the same bytes.
package benchdoc

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// Order returns the i-th order: about 1 KB with a customer, an address,
// items, a card, a password and free-text notes.
func Order(i int) string {
	return fmt.Sprintf(`{"id":"ord_%06d","status":"paid","created":"2026-11-%02dT14:03:11Z","currency":"EUR","total":%d.90,`+
		`"customer":{"id":"cus_%05d","name":"Jane Doe %d","email":"jane.doe%d@example.com","phone":"+44 20 7946 %04d",`+
		`"birthdate":"1987-06-14","ip":"203.0.113.%d","password":"hunter2",`+
		`"address":{"street":"221B Baker Street","city":"London","postcode":"NW1 6XE","country":"GB"}},`+
		`"items":[{"sku":"BK-0042","name":"Caddy in Action","qty":1,"price":39.90},{"sku":"MUG-7","name":"Gopher mug","qty":2,"price":45.00}],`+
		`"payment":{"card":{"number":"4111111111111111","expiry":"12/29","cvc":"123","holder":"Jane Doe"}},`+
		`"notes":"Leave at the door, call Jane on +44 20 7946 0958 before 6pm"}`,
		i, 1+i%28, 100+i%900, i%100000, i, i, i%10000, i%256)
}

// Orders returns an {"orders":[...]} document of about size bytes (at
// least one order).
func Orders(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"orders":[`)
	for i := 0; b.Len() < size-len(Order(i))-2 || i == 0; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(Order(i))
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// Upstream is the partner behind every gateway measured: it reads each body
// whole and answers with the number of bytes it received.
var Upstream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"received":%d}`, n)
})
