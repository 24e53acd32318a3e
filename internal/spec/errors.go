package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Error is one problem found in a spec file.
type Error struct {
	Pos Pos
	Msg string
	// Fix is an optional hint, printed in parentheses after Msg, such as
	// `did you mean "direction"?` or `use one of: email, url, uuid`.
	Fix string
}

// Error prints file:line:col: message, then (fix) when there is one.
func (e *Error) Error() string {
	if e.Fix == "" {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Msg + " (" + e.Fix + ")"
}

// ErrorList is every problem found in a spec file, sorted by position.
// Parse and Load return it so that a user fixes the whole file in one pass.
type ErrorList []*Error

// Error prints one error per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As reach the individual *Error values.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sortErrors orders by line, column, then text, so output is stable
// whatever order the checks ran in.
func (l ErrorList) sortErrors() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		if c := cmp.Compare(a.Pos.Line, b.Pos.Line); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Pos.Col, b.Pos.Col); c != 0 {
			return c
		}
		return strings.Compare(a.Error(), b.Error())
	})
}

// didYouMean returns a `did you mean "x"?` hint for the closest candidate,
// or "" when none is close enough to be a plausible typo.
func didYouMean(word string, candidates []string) string {
	if s := closest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// closest returns the candidate nearest to word by case-insensitive edit
// distance, within a budget that grows with the word's length; ties go to
// the earlier candidate so the hint is deterministic.
func closest(word string, candidates []string) string {
	budget := min(1+len(word)/4, 3)
	best, bestDist := "", budget+1
	lw := strings.ToLower(word)
	for _, c := range candidates {
		if c == word {
			continue
		}
		lc := strings.ToLower(c)
		// The distance is at least the length difference: skipping those
		// keeps a huge unknown word from costing len(word)*len(c) per candidate.
		if diff := utf8.RuneCountInString(lw) - utf8.RuneCountInString(lc); diff > budget || -diff > budget {
			continue
		}
		d := editDistance(lw, lc)
		if d < bestDist && d < len(word) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counted in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
