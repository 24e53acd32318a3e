package report

import (
	"math"
	"strconv"
	"strings"
)

// Numbers are written for people: whole deliveries with thousands
// separators, milliseconds and KiB with one decimal, ratios with two.

// count formats v rounded to a whole number with thousands separators:
// 1234567.8 → "1,234,568".
func count(v float64) string {
	s := strconv.FormatInt(int64(math.Round(math.Abs(v))), 10)
	var b strings.Builder
	if v <= -0.5 {
		b.WriteByte('-')
	}
	for i, d := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// millis formats milliseconds with one decimal.
func millis(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// cpuMillis formats CPU milliseconds per 1000 deliveries: one decimal,
// two below 1 ms, where one decimal would hide the differences.
func cpuMillis(v float64) string {
	if v < 1 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return millis(v)
}

// kib formats bytes as KiB with one decimal.
func kib(bytes float64) string { return strconv.FormatFloat(bytes/1024, 'f', 1, 64) }

// times formats a ratio: 0.9731 → "0.97×".
func times(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "×" }

// compact formats a large axis tick: 250000 → "250k", 1500000 → "1.5M".
func compact(v float64) string {
	round := func(x float64) string { return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) }
	if math.Abs(v) >= 1e6 {
		return round(v/1e6) + "M"
	}
	return round(v/1e3) + "k"
}
