package rules

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/caddy-minimize/caddy-minimize/rules/internal/corpusgen"
)

//go:generate go run ./internal/corpusgen/cmd/corpusgen testdata/corpus

const corpusDir = "testdata/corpus"

// TestCorpusUpToDate keeps the committed corpus equal to what the generator
// makes, so the corpus is reviewable as data and reproducible as code.
func TestCorpusUpToDate(t *testing.T) {
	for name, want := range corpusgen.Files() {
		got, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s/%s is not what the generator makes (%v): run go generate ./rules", corpusDir, name, err)
		}
	}
}

// detectorScore counts one detector's outcomes on the corpus.
type detectorScore struct{ tp, fp, fn int }

func (s detectorScore) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s detectorScore) recall() float64    { return ratio(s.tp, s.tp+s.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// TestDetectorQuality measures every detector on the labelled corpus: each
// valid value must be found whole by its detector (recall 1.0), and no
// detector may flag look-alikes often (precision at least 0.99).
func TestDetectorQuality(t *testing.T) {
	scores := map[string]*detectorScore{}
	score := func(d string) *detectorScore {
		if scores[d] == nil {
			scores[d] = &detectorScore{}
		}
		return scores[d]
	}
	for _, d := range Detectors() {
		score(d)
	}
	var misses, falseAlarms []string

	readJSONL(t, "values.jsonl", func(v corpusgen.Value) {
		field := testTaxonomy.Field(v.Field)
		found := testScanner.AppendFindings(nil, v.Text, field)
		whole := false
		for _, f := range found {
			name := f.Detector.String()
			checkMinSpan(t, f, v.Text)
			if name == v.Want && f.Start == 0 && f.End == len(v.Text) && len(found) == 1 {
				score(name).tp++
				whole = true
				continue
			}
			score(name).fp++
			falseAlarms = append(falseAlarms, fmt.Sprintf("%s %q in field %q (%s): %s %q", v.Want, v.Text, v.Field, v.Kind, name, v.Text[f.Start:f.End]))
		}
		if d, ok := lookupDetector(v.Want); ok && whole {
			// The prefilters of a scanner with this detector alone keep it.
			var cats [numDetectors]CategorySet
			cats[d] = 1
			if _, ok := newScanner(1<<d, cats, testTaxonomy.matcher).Match(v.Text, field); !ok {
				t.Errorf("%s %q: found whole, but not by Match with %s alone", v.Want, v.Text, v.Want)
			}
		}
		if v.Want != "none" && !whole {
			score(v.Want).fn++
			misses = append(misses, fmt.Sprintf("%s %q in field %q (%s)", v.Want, v.Text, v.Field, v.Kind))
		}
	})
	readJSONL(t, "notes.jsonl", func(n corpusgen.Note) {
		var want []string
		for _, s := range n.Spans {
			want = append(want, s.Detector+"\x00"+s.Text)
		}
		for _, f := range testScanner.AppendFindings(nil, n.Text, Field{}) {
			checkMinSpan(t, f, n.Text)
			got := f.Detector.String() + "\x00" + n.Text[f.Start:f.End]
			if i := slices.Index(want, got); i >= 0 {
				score(f.Detector.String()).tp++
				want = slices.Delete(want, i, i+1)
				continue
			}
			score(f.Detector.String()).fp++
			falseAlarms = append(falseAlarms, fmt.Sprintf("note: %s %q", f.Detector, n.Text[f.Start:f.End]))
		}
		for _, w := range want {
			d, text, _ := bytes.Cut([]byte(w), []byte{0})
			score(string(d)).fn++
			misses = append(misses, fmt.Sprintf("note: %s %q in %q", d, text, n.Text))
		}
	})

	t.Logf("%-16s %6s %6s %6s %10s %8s", "detector", "tp", "fp", "fn", "precision", "recall")
	for _, d := range Detectors() {
		s := scores[d]
		t.Logf("%-16s %6d %6d %6d %10.4f %8.4f", d, s.tp, s.fp, s.fn, s.precision(), s.recall())
	}
	for _, m := range misses {
		t.Errorf("missed %s", m)
	}
	for _, d := range Detectors() {
		if s := scores[d]; s.precision() < 0.99 {
			t.Errorf("%s: precision %.4f < 0.99", d, s.precision())
		}
		if s := scores[d]; s.tp == 0 {
			t.Errorf("%s: the corpus does not exercise it", d)
		}
	}
	if t.Failed() {
		for _, fa := range falseAlarms {
			t.Logf("false alarm: %s", fa)
		}
	}
}

func readJSONL[T any](t *testing.T, name string, fn func(T)) {
	t.Helper()
	if err := readJSONLErr(name, fn); err != nil {
		t.Fatal(err)
	}
}

// readJSONLFile is readJSONL for callers without a *testing.T; it panics.
func readJSONLFile[T any](name string, fn func(T)) {
	if err := readJSONLErr(name, fn); err != nil {
		panic(err)
	}
}

func readJSONLErr[T any](name string, fn func(T)) error {
	f, err := os.Open(filepath.Join(corpusDir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("%s:%d: %v", name, line, err)
		}
		fn(v)
	}
	return sc.Err()
}

// checkMinSpan keeps the scanners' prefilters honest: minSpan a lower
// bound (a scanner skips texts shorter than its detectors' minimum), and
// mayFind true for a text in which the detector found something.
func checkMinSpan(t *testing.T, f Finding, text string) {
	if f.End-f.Start < minSpan[f.Detector] {
		t.Errorf("%s found %q, shorter than its minSpan %d", f.Detector, text[f.Start:f.End], minSpan[f.Detector])
	}
	var cats [numDetectors]CategorySet
	cats[f.Detector] = 1
	if !newScanner(1<<f.Detector, cats, testTaxonomy.matcher).mayFind(text) {
		t.Errorf("%s found %q, but mayFind says the text cannot hold it", f.Detector, text[f.Start:f.End])
	}
}
