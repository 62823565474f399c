package strategies

import "fmt"

// Severity of a finding, with the values of a KRM result's severity.
type Severity string

// The severities a finding can have.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Finding is one thing a strategy or check has to say about a release.
// Path is the field of the Release it is about, relative to where it was
// produced until a caller prefixes it ("spec.probes.readiness" + ".check").
type Finding struct {
	Severity Severity
	Path     string
	Message  string
}

func errorf(path, format string, args ...any) Finding {
	return Finding{Error, path, fmt.Sprintf(format, args...)}
}

func warningf(path, format string, args ...any) Finding {
	return Finding{Warning, path, fmt.Sprintf(format, args...)}
}

func infof(path, format string, args ...any) Finding {
	return Finding{Info, path, fmt.Sprintf(format, args...)}
}

// prefix puts p in front of every finding's path.
func prefix(p string, fs []Finding) []Finding {
	for i := range fs {
		fs[i].Path = p + fs[i].Path
	}
	return fs
}

// HasError reports whether any finding is an error.
func HasError(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}
