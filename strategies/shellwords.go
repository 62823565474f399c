package strategies

import (
	"fmt"
	"slices"
	"strings"
)

// splitWords splits the command of an `exec:` probe shorthand into argv
// words the way a POSIX shell splits a simple command, so that
// `sh -c "wget -q -O- localhost:9898/healthz || exit 1"` is three words,
// not eight:
//   - blanks (space, tab, newline) separate words outside quotes;
//   - '...' keeps everything inside literally;
//   - "..." keeps everything inside, except that a backslash escapes
//     \ " $ and ` (other backslashes stay, as in a shell);
//   - outside quotes a backslash escapes the next character;
//   - quoted and unquoted parts next to each other form one word, and ""
//     is an empty word.
//
// Nothing is expanded: no variables, globs or command substitution, as an
// exec probe runs no shell. unquoted lists the shell operators that stood
// outside quotes (`||`, `|`, `;`, `$`...), which an exec probe passes to
// the command as plain arguments: the caller warns about them.
func splitWords(s string) (words, unquoted []string, err error) {
	var (
		cur    strings.Builder
		inWord bool
		quote  rune // 0, '\'' or '"'
		opened int  // byte offset of the open quote, for the error
		escape bool // the previous character was an unquoted or "-quoted backslash
		opEnd  int  // end of the last operator reported
	)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	for i, r := range s {
		switch {
		case escape:
			if quote == '"' && !strings.ContainsRune("\\\"$`\n", r) {
				cur.WriteByte('\\')
			}
			if !(r == '\n' && quote == 0) { // backslash-newline joins lines
				cur.WriteRune(r)
			}
			escape = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escape = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			escape, inWord = true, true
		case r == '\'' || r == '"':
			quote, opened, inWord = r, i, true
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		default:
			if i >= opEnd && strings.ContainsRune("|&;<>$`", r) {
				op := string(r)
				// Report the whole operator once: "||" rather than "|" twice.
				for _, two := range []string{"||", "&&", ">>", "$(", "${"} {
					if strings.HasPrefix(s[i:], two) {
						op = two
					}
				}
				opEnd = i + len(op)
				if !slices.Contains(unquoted, op) {
					unquoted = append(unquoted, op)
				}
			}
			cur.WriteRune(r)
			inWord = true
		}
	}
	switch {
	case quote != 0:
		return nil, nil, fmt.Errorf("has an unclosed %c quote (opened at character %d)", quote, opened+1)
	case escape:
		return nil, nil, fmt.Errorf("ends with a backslash that escapes nothing")
	}
	flush()
	return words, unquoted, nil
}
