package fn

import "regexp"

// The grammar of image references, tags and label values, as the
// container runtimes and the API server read them (distribution's
// reference grammar; apimachinery's label value syntax). Parameters are
// checked against it where they arrive, so that `PARAM_IMAGE={` fails
// naming the variable instead of reaching a Deployment.
var (
	// imageReference is [domain[:port]/]path[:tag][@digest], path
	// components lower case.
	imageReference = regexp.MustCompile(`^` +
		`(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?` + // domain
		`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*` + // path
		`(?::[\w][\w.-]{0,127})?` + // tag
		`(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?` + // digest
		`$`)
	// imageTag is a tag alone.
	imageTag = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	// labelValue is a Kubernetes label value (the version label).
	labelValue = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$`)
)
