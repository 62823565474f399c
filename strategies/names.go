package strategies

import (
	"fmt"
	"regexp"
)

// The API server's rules for names and label values, as
// k8s.io/apimachinery/pkg/util/validation writes them. They are three
// regular expressions; importing that package would add apimachinery,
// klog (with its init-time flags) and k8s.io/utils to every start of the
// function for them.
var (
	// labelValue is a label value (IsValidLabelValue), at most 63.
	labelValue = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
	// dnsSubdomain is a DNS-1123 subdomain (IsDNS1123Subdomain), at most
	// 253: the names of most objects.
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// dns1035Label is a DNS-1035 label (IsDNS1035Label), at most 63: the
	// names of Services.
	dns1035Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
)

// CheckLabelValue says what is wrong with a label value.
func CheckLabelValue(v string) error {
	if len(v) > 63 || !labelValue.MatchString(v) {
		return fmt.Errorf("%q is not a valid label value; allowed: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", v)
	}
	return nil
}

// IsObjectName reports whether name is a DNS-1123 subdomain, the name
// the API server takes for most kinds.
func IsObjectName(name string) bool { return len(name) <= 253 && dnsSubdomain.MatchString(name) }

// IsServiceName reports whether name is a DNS-1035 label, the name the
// API server takes for a Service.
func IsServiceName(name string) bool { return len(name) <= 63 && dns1035Label.MatchString(name) }
