package api

import "strings"

// nearest returns the allowed name closest to key, for a "did you mean"
// hint on an unknown field, or "" when none is close enough to be the
// name the user meant. Case is ignored (MaxSurge is maxSurge); otherwise
// the distance is the number of single-letter edits (Levenshtein), and a
// name qualifies within one edit for every three letters of the key, at
// least one: maxSurg, maxSurges and maxSugre are maxSurge, while "image"
// is never offered for "name". Ties go to the first name in allowed, which
// callers keep sorted, so the hint is deterministic.
func nearest(key string, allowed []string) string {
	limit := len(key) / 3
	if limit < 1 {
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(key), strings.ToLower(a)); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, with a transposition of two
// neighbouring letters counted as one edit (the commonest typo).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// prev2, prev and cur are three rows of the usual table.
	prev2 := make([]int, len(rb)+1)
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
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
