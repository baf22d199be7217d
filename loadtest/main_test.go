package main

import "testing"

func TestSpread(t *testing.T) {
	for _, c := range []struct {
		in     []float64
		format string
		want   string
	}{
		{nil, "%.2f", "-"},
		{[]float64{0.834}, "%.2f", "0.83"},
		{[]float64{0.9, 0.7, 0.8}, "%.2f", "0.80 (0.70 to 0.90)"},
		{[]float64{0.2, -0.05}, "%+.3f ms", "+0.075 ms (-0.050 ms to +0.200 ms)"},
	} {
		if got := spread(c.in, c.format); got != c.want {
			t.Errorf("spread(%v, %q) = %q, want %q", c.in, c.format, got, c.want)
		}
	}
}
