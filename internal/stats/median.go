// Package stats holds what the measuring commands (loadtest, benchratio)
// share: a shared machine drifts between runs, so they report medians.
package stats

import "slices"

// Median returns the middle of xs (the mean of the middle two for an even
// count), or 0 for none; xs is left as it was.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
