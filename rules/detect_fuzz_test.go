package rules

import (
	"encoding/json"
	"testing"
)

// FuzzDetect checks the scanner's contract on any text: findings are in
// bounds, in order and disjoint, and the rewritten text is a JSON string
// body that decodes to the text with exactly the findings replaced.
func FuzzDetect(f *testing.F) {
	f.Add(supportNote, "")
	f.Add("DOB: 1987-06-05 SSN 123456789", "notes")
	f.Add("+44 (0)20 7946 0958 / 4111 1111 1111 1111 12/27", "")
	f.Add("a@b.example..c@d.example ::ffff:1.2.3.4", "")
	f.Add("\xff\xfe eyJhbGciOiJub25lIn0.eyJ4IjoxfQ. Bearer 0123456789abcdef", "ssn")
	f.Fuzz(func(t *testing.T, text, field string) {
		fc := testTaxonomy.Field(field)
		fs := testScanner.AppendFindings(nil, text, fc)
		end := 0
		for _, x := range fs {
			if x.Start < end || x.End <= x.Start || x.End > len(text) || x.Categories == 0 {
				t.Fatalf("bad finding %+v after %d in %q", x, end, text)
			}
			end = x.End
		}
		mark := func(dst []byte, _ Finding, _ string) []byte { return append(dst, "\x00"...) }
		out := testScanner.AppendRewritten(nil, text, fc, mark)
		var back string
		if err := json.Unmarshal([]byte(`"`+string(out)+`"`), &back); err != nil {
			t.Fatalf("rewrite of %q is not a JSON string body: %v", text, err)
		}
		var want []byte
		last := 0
		for _, x := range fs {
			want = append(want, text[last:x.Start]...)
			want = append(want, 0)
			last = x.End
		}
		want = append(want, text[last:]...)
		var wantBack string
		if err := json.Unmarshal(append(append([]byte{'"'}, appendEscaped(nil, string(want))...), '"'), &wantBack); err != nil || back != wantBack {
			t.Fatalf("rewrite of %q decodes to %q, want %q", text, back, wantBack)
		}
	})
}
