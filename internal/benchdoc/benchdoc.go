// Package benchdoc makes the order documents that the engine benchmarks,
// the handler benchmarks and the load test all send, so the three measure
// the same bytes, and the upstream and client the gateway benchmark and
// the load test share.
package benchdoc

import (
	"bytes"
	"context"
	"encoding/json"
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

// Post sends body as JSON to url and reads the answer into buf.
func Post(ctx context.Context, client *http.Client, url string, body []byte, buf *bytes.Buffer) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, err
}

// CheckReceived checks Upstream's answer to a body of whole bytes sent
// through a gateway: all of it through a plain proxy; through minimize
// (the benchmark policy keeps about two thirds of each order) more than
// half and less than all, so that a gateway that refused, stopped
// rewriting or sent next to nothing cannot pass for a fast one.
func CheckReceived(status int, answer []byte, whole int, minimized bool) error {
	var got struct{ Received *int }
	if status != http.StatusOK || json.Unmarshal(answer, &got) != nil || got.Received == nil {
		return fmt.Errorf("status %d: %.300s", status, answer)
	}
	if n := *got.Received; !minimized && n != whole || minimized && (n <= whole/2 || n >= whole) {
		return fmt.Errorf("the upstream received %d of %d bytes", n, whole)
	}
	return nil
}
