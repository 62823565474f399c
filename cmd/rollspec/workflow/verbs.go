package workflow

import (
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"rollspec.dev/rollspec/strategies"
)

// The verbs, as the command line names them.
const (
	VerbStep     = "step"
	VerbPromote  = "promote"
	VerbAbort    = "abort"
	VerbFlip     = "flip"
	VerbSetImage = "set-image"
)

// Verbs lists the file verbs in the order the docs give them.
var Verbs = []string{VerbStep, VerbPromote, VerbAbort, VerbFlip, VerbSetImage}

// verbsFor is what each strategy offers, for the message of a verb that
// does not apply.
var verbsFor = map[string]string{
	strategyRolling:   "set-image",
	strategyRecreate:  "set-image",
	strategyCanary:    "step, promote, abort, set-image",
	strategyBlueGreen: "set-image, promote, flip",
}

// Options are a verb's arguments besides PATH.
type Options struct {
	// Release chooses one Release (NAME or NAMESPACE/NAME) when PATH holds several.
	Release string
	// To is step's --to: the step to set instead of the next one.
	To *int64
	// Image is set-image's IMAGE.
	Image string
	// Version is set-image's --version: the version label to go with Image.
	Version string
	// CanarySteps is set-image's --canary-steps: start a canary with these weights.
	CanarySteps []int64
	// ExpectImage is promote's --expect-image: promote only a release of this
	// image, and do nothing when it is already promoted (a CI job that runs
	// twice must not flip a blue/green pair back).
	ExpectImage string
	// DryRun computes the edit without writing it.
	DryRun bool
}

// Result is what a verb did to a file.
type Result struct {
	File    string `json:"file"`
	Release string `json:"release"`
	// Changes lists the edited fields, one line each ("spec.canary.step: 0 -> 1").
	Changes []string `json:"changes,omitempty"`
	// Message is the suggested commit message; empty when nothing changed.
	Message string `json:"message,omitempty"`
	// Unchanged says why the file needed no edit.
	Unchanged string `json:"unchanged,omitempty"`
}

// plan is the edit a verb decided on.
type plan struct {
	ops       []op
	message   string
	unchanged string
}

// fieldError is a verb's refusal: the field path, what was wrong and what
// is allowed (the Release is named by the caller).
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func fieldErr(field, format string, args ...interface{}) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...)}
}

// Run runs a verb on the Release under path and, unless DryRun, writes the
// edited file atomically. A Release that does not parse, a verb that does
// not apply to the Release's strategy, and an edit the editor cannot make
// without touching anything else are errors; the file is then untouched.
func Run(verb, path string, o Options) (*Result, error) {
	l, err := chooseRelease(path, o.Release)
	if err != nil {
		return nil, err
	}
	if !o.DryRun {
		// Read again under the lock: another verb may have written the
		// file between the first read and the lock.
		unlock, err := lockFile(l.file)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if l, err = chooseRelease(path, o.Release); err != nil {
			return nil, err
		}
	}
	root := l.node.Content[0]
	where := fmt.Sprintf("Release %q (%s)", l.name, l.file)
	r, err := parseRelease(root)
	if err != nil {
		return nil, fmt.Errorf("%s does not parse: %v; fix it before running %s", where, err, verb)
	}
	p, err := planVerb(verb, r, root, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	res := &Result{File: l.file, Release: l.name}
	if len(p.ops) == 0 {
		res.Unchanged = p.unchanged
		return res, nil
	}
	out, err := applyOps(l.src, l.doc, p.ops)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	s, err := parseStream(out)
	if err == nil {
		_, err = parseRelease(s.docs[l.doc].Content[0])
	}
	if err != nil {
		return nil, fmt.Errorf("%s: the edited Release would not parse (%v); edit it by hand", where, err)
	}
	res.Changes = describeOps(l.node, p.ops)
	res.Message = p.message
	if !o.DryRun {
		withBOM := func(b []byte) []byte { return append(append([]byte(nil), l.bom...), b...) }
		if err := writeAtomic(l.file, withBOM(l.src), withBOM(out)); err != nil {
			return nil, fmt.Errorf("writing %s: %w", l.file, err)
		}
	}
	return res, nil
}

// planVerb decides the edit; it reads the parsed Release for meaning and
// the document for which keys are written.
func planVerb(verb string, r *release, root *yaml.Node, o Options) (plan, error) {
	v := verbCtx{r: r, root: root, name: releaseName(r), o: o, strategy: r.StrategyName()}
	switch verb {
	case VerbStep:
		return v.step()
	case VerbPromote:
		return v.promote()
	case VerbAbort:
		return v.abort()
	case VerbFlip:
		return v.flip()
	case VerbSetImage:
		return v.setImage()
	}
	return plan{}, fmt.Errorf("unknown verb %q; allowed: %s", verb, strings.Join(Verbs, ", "))
}

func releaseName(r *release) string {
	if r.Metadata.Namespace != "" {
		return r.Metadata.Namespace + "/" + r.Metadata.Name
	}
	return r.Metadata.Name
}

type verbCtx struct {
	r        *release
	root     *yaml.Node
	name     string
	strategy string
	o        Options
}

// has reports whether a dotted path is written in the document.
func (v verbCtx) has(path string) bool {
	n := v.root
	for _, k := range strings.Split(path, ".") {
		if n = mapping(n, k); n == nil {
			return false
		}
	}
	return true
}

// notFor is the error of a verb that does not apply to the strategy.
func (v verbCtx) notFor(verb, appliesTo string) error {
	return fieldErr("spec.strategy", "is %s, and %s applies to %s Releases; allowed for %s: %s",
		v.strategy, verb, appliesTo, v.strategy, verbsFor[v.strategy])
}

func (v verbCtx) canary() (*strategies.Canary, error) {
	if canaryOf(v.r) == nil {
		return nil, fieldErr("spec.canary", "is missing; allowed: a canary block (rollspec set-image IMAGE --canary-steps 10,50 starts one)")
	}
	return canaryOf(v.r), nil
}

func stepOf(c *strategies.Canary) int64 {
	if c.Step != nil {
		return *c.Step
	}
	return 0
}

// step moves a canary to its next step (or --to N).
func (v verbCtx) step() (plan, error) {
	if v.strategy != strategyCanary {
		return plan{}, v.notFor("step", "canary")
	}
	c, err := v.canary()
	if err != nil {
		return plan{}, err
	}
	if len(c.Steps) == 0 {
		return plan{}, fieldErr("spec.canary.steps", "is not set, so the canary holds one weight; allowed: steps (such as [10, 50]) to move through, or rollspec promote")
	}
	cur, last := stepOf(c), int64(len(c.Steps)-1)
	next := cur + 1
	if v.o.To != nil {
		next = *v.o.To
		if next < 0 || next > last {
			return plan{}, fieldErr("--to", "%d is out of range; allowed: 0 to %d (spec.canary.steps is %s)", next, last, flowInts(c.Steps))
		}
	} else if cur >= last {
		return plan{}, fieldErr("spec.canary.step", "is already the last step (%d: %d%%); allowed: rollspec promote, or rollspec abort", cur, c.Steps[last])
	}
	if next == cur {
		return plan{unchanged: fmt.Sprintf("spec.canary.step is already %d (%d%%)", cur, c.Steps[cur])}, nil
	}
	return plan{
		ops:     []op{put("spec.canary.step", intValue(next))},
		message: fmt.Sprintf("%s: canary %s at step %d (%d%%)", v.name, c.Image, next, c.Steps[next]),
	}, nil
}

// promote finishes a release: the canary's image becomes the stable one,
// or the Services flip to the idle colour.
func (v verbCtx) promote() (plan, error) {
	expect := v.o.ExpectImage
	switch v.strategy {
	case strategyCanary:
		c, err := v.canary()
		if err != nil {
			return plan{}, err
		}
		if expect != "" && c.Image != expect {
			return plan{}, fieldErr("spec.canary.image", "is %s, not %s (--expect-image); allowed: promote the canary that runs", c.Image, expect)
		}
		ops := []op{put("spec.image", strValue(c.Image))}
		if v.has("spec.tag") {
			ops = append(ops, del("spec.tag"))
		}
		if c.Version != "" {
			ops = append(ops, put("spec.version", strValue(c.Version)))
		} else if v.has("spec.version") {
			ops = append(ops, del("spec.version"))
		}
		ops = append(ops, del("spec.canary"), put("spec.strategy", strValue(strategyRolling)))
		return plan{ops: ops, message: fmt.Sprintf("%s: promote canary %s", v.name, c.Image)}, nil
	case strategyBlueGreen:
		bg := blueGreenOf(v.r)
		active, idle := bg.Active, otherColor(bg.Active)
		if expect != "" {
			if v.colorImage(active) == expect {
				return plan{unchanged: fmt.Sprintf("the active colour %s already runs %s", active, expect)}, nil
			}
			if img := v.colorImage(idle); img != expect {
				return plan{}, fieldErr("spec.blueGreen."+idle+".image", "is %s, not %s (--expect-image); allowed: promote the release the idle colour runs", orUnset(img), expect)
			}
		}
		if err := v.idleCanServe(idle); err != nil {
			return plan{}, err
		}
		ai, ii := v.colorImage(active), v.colorImage(idle)
		if ai != "" && ai == ii && v.colorVersion(active) == v.colorVersion(idle) {
			return plan{}, fieldErr("spec.blueGreen."+idle+".image", "is %s, the image the active colour %s runs: nothing to promote; allowed: rollspec set-image IMAGE first (rollspec flip swaps the colours regardless)", ii, active)
		}
		return plan{
			ops:     []op{put("spec.blueGreen.active", strValue(idle))},
			message: fmt.Sprintf("%s: promote %s%s", v.name, idle, inParens(ii)),
		}, nil
	}
	if expect != "" && v.r.Spec.Image == expect {
		return plan{unchanged: fmt.Sprintf("spec.image is already %s", expect)}, nil
	}
	return plan{}, v.notFor("promote", "canary and blue-green")
}

// abort gives up a canary. A blue/green pair has nothing to abort before
// a flip: the idle colour takes no traffic.
func (v verbCtx) abort() (plan, error) {
	switch v.strategy {
	case strategyCanary:
		c, err := v.canary()
		if err != nil {
			return plan{}, err
		}
		return plan{
			ops:     []op{del("spec.canary"), put("spec.strategy", strValue(strategyRolling))},
			message: fmt.Sprintf("%s: abort canary %s", v.name, c.Image),
		}, nil
	case strategyBlueGreen:
		return plan{}, fieldErr("spec.blueGreen", "has no traffic weight to set to 0: the active colour %s takes all the traffic and the idle colour none; allowed: rollspec flip to go back to the other colour after a flip", blueGreenOf(v.r).Active)
	}
	return plan{}, v.notFor("abort", "canary")
}

// flip swaps the active colour.
func (v verbCtx) flip() (plan, error) {
	if v.strategy != strategyBlueGreen {
		return plan{}, v.notFor("flip", "blue-green")
	}
	idle := otherColor(blueGreenOf(v.r).Active)
	if err := v.idleCanServe(idle); err != nil {
		return plan{}, err
	}
	return plan{
		ops:     []op{put("spec.blueGreen.active", strValue(idle))},
		message: fmt.Sprintf("%s: flip to %s%s", v.name, idle, inParens(v.colorImage(idle))),
	}, nil
}

// idleCanServe refuses a flip to a colour the spec keeps smaller than the
// active one: the Services would move to pods that are not there yet.
func (v verbCtx) idleCanServe(idle string) error {
	n := blueGreenOf(v.r).InactiveReplicas
	if n == nil {
		return nil
	}
	if *n == 0 {
		return fieldErr("spec.blueGreen.inactiveReplicas", "is 0: the idle colour %s runs no pods, and a flip would leave the Services without endpoints; allowed: remove inactiveReplicas in a commit of its own, wait for rollspec status, then flip", idle)
	}
	if rep := v.r.Spec.Replicas; rep != nil && *n < *rep {
		return fieldErr("spec.blueGreen.inactiveReplicas", "is %d, below spec.replicas %d: a flip would send all the traffic to %d pods of %s while the rest start; allowed: remove inactiveReplicas in a commit of its own, wait for rollspec status, then flip", *n, *rep, *n, idle)
	}
	return nil
}

// colorImage is the image the spec gives a colour, "" when it leaves it to
// what the colour ran before.
func (v verbCtx) colorImage(color string) string {
	if cs := colorSpec(blueGreenOf(v.r), color); cs != nil && cs.Image != "" {
		return cs.Image
	}
	return v.r.Spec.Image
}

func (v verbCtx) colorVersion(color string) string {
	if cs := colorSpec(blueGreenOf(v.r), color); cs != nil {
		return cs.Version
	}
	return ""
}

func colorSpec(bg *strategies.BlueGreen, color string) *strategies.ColorSpec {
	if color == strategies.RoleBlue {
		return bg.Blue
	}
	return bg.Green
}

func otherColor(c string) string {
	if c == strategies.RoleBlue {
		return strategies.RoleGreen
	}
	return strategies.RoleBlue
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func orUnset(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

// setImage starts a release of an image, the way the strategy releases.
func (v verbCtx) setImage() (plan, error) {
	img := v.o.Image
	if err := strategies.CheckImage(img); err != nil {
		return plan{}, fieldErr("IMAGE", "%v", err)
	}
	if v.o.Version != "" {
		if err := strategies.CheckLabelValue(v.o.Version); err != nil {
			return plan{}, fieldErr("--version", "%v", err)
		}
	}
	if steps := v.o.CanarySteps; steps != nil {
		if err := checkSteps(steps); err != nil {
			return plan{}, err
		}
		return v.startCanary()
	}
	switch v.strategy {
	case strategyCanary:
		c, err := v.canary()
		if err != nil {
			return plan{}, err
		}
		if c.Image == img && (v.o.Version == "" || c.Version == v.o.Version) {
			return plan{unchanged: fmt.Sprintf("spec.canary.image is already %s", img)}, nil
		}
		ops := append([]op{put("spec.canary.image", strValue(img))}, v.versionOps("spec.canary.version")...)
		at := ""
		if len(c.Steps) > 0 {
			if stepOf(c) != 0 {
				ops = append(ops, put("spec.canary.step", intValue(0)))
			}
			at = fmt.Sprintf(" at step 0 (%d%%)", c.Steps[0])
		}
		return plan{ops: ops, message: fmt.Sprintf("%s: canary %s%s", v.name, img, at)}, nil
	case strategyBlueGreen:
		bg := blueGreenOf(v.r)
		idle := otherColor(bg.Active)
		cs := colorSpec(bg, idle)
		if cs != nil && cs.Image == img && (v.o.Version == "" || cs.Version == v.o.Version) && (bg.InactiveReplicas == nil || *bg.InactiveReplicas != 0) {
			return plan{unchanged: fmt.Sprintf("the idle colour %s already runs %s", idle, img)}, nil
		}
		base := "spec.blueGreen." + idle
		var ops []op
		if v.has(base) {
			ops = append(ops, put(base+".image", strValue(img)))
			ops = append(ops, v.versionOps(base+".version")...)
		} else {
			m := []keyValue{{"image", strValue(img)}}
			if v.o.Version != "" {
				m = append(m, keyValue{"version", strValue(v.o.Version)})
			}
			ops = append(ops, put(base, value{mapping: m}))
		}
		if n := bg.InactiveReplicas; n != nil && *n == 0 {
			// A colour with no pods cannot be tested or flipped to; the
			// standby goes back to full size for this release.
			ops = append(ops, del("spec.blueGreen.inactiveReplicas"))
		}
		return plan{ops: ops, message: fmt.Sprintf("%s: deploy %s to the idle colour %s", v.name, img, idle)}, nil
	}
	if v.r.Spec.Image == img && (v.o.Version == "" || v.r.Spec.Version == v.o.Version) && !v.has("spec.tag") {
		return plan{unchanged: fmt.Sprintf("spec.image is already %s", img)}, nil
	}
	ops := []op{put("spec.image", strValue(img))}
	if v.has("spec.tag") {
		ops = append(ops, del("spec.tag"))
	}
	ops = append(ops, v.versionOps("spec.version")...)
	return plan{ops: ops, message: fmt.Sprintf("%s: release %s", v.name, img)}, nil
}

// versionOps sets the version label that goes with a new image, or removes
// a written one: it named the previous image.
func (v verbCtx) versionOps(path string) []op {
	if v.o.Version != "" {
		return []op{put(path, strValue(v.o.Version))}
	}
	if v.has(path) {
		return []op{del(path)}
	}
	return nil
}

// startCanary writes a canary block with --canary-steps at step 0, or
// restarts the running canary with a new image and steps.
func (v verbCtx) startCanary() (plan, error) {
	img, steps := v.o.Image, v.o.CanarySteps
	if v.strategy == strategyBlueGreen {
		return plan{}, fieldErr("--canary-steps", "starts a canary, and spec.strategy is blue-green; allowed: set-image without --canary-steps (it deploys to the idle colour)")
	}
	message := fmt.Sprintf("%s: start canary %s at step 0 (%d%%)", v.name, img, steps[0])
	c := canaryOf(v.r)
	if v.strategy == strategyCanary && c != nil {
		if c.Image == img && equalInts(c.Steps, steps) && (v.o.Version == "" || c.Version == v.o.Version) {
			return plan{unchanged: fmt.Sprintf("the canary already runs %s with steps %s", img, flowInts(steps))}, nil
		}
		ops := append([]op{put("spec.canary.image", strValue(img))}, v.versionOps("spec.canary.version")...)
		for _, k := range []string{"weight", "replicas"} {
			if v.has("spec.canary." + k) {
				ops = append(ops, del("spec.canary."+k))
			}
		}
		if n := mapping(mapping(mapping(v.root, "spec"), "canary"), "steps"); n != nil && n.Kind != yaml.SequenceNode {
			// Not a list (an alias, say): written anew.
			ops = append(ops, del("spec.canary.steps"))
		}
		if !equalInts(c.Steps, steps) || !v.has("spec.canary.steps") {
			ops = append(ops, put("spec.canary.steps", intsValue(steps)))
		}
		if stepOf(c) != 0 || !v.has("spec.canary.step") {
			// A step written as 0 already is no change to list.
			ops = append(ops, put("spec.canary.step", intValue(0)))
		}
		return plan{ops: ops, message: message}, nil
	}
	if v.r.Spec.Image == img {
		return plan{}, fieldErr("IMAGE", "is %s, which spec.image already runs: a canary of it would change nothing; allowed: a new image", img)
	}
	block := []keyValue{{"image", strValue(img)}}
	if v.o.Version != "" {
		block = append(block, keyValue{"version", strValue(v.o.Version)})
	}
	block = append(block, keyValue{"steps", intsValue(steps)}, keyValue{"step", intValue(0)})
	return plan{
		ops:     []op{put("spec.strategy", strValue(strategyCanary)), put("spec.canary", value{mapping: block})},
		message: message,
	}, nil
}

func checkSteps(steps []int64) error {
	if len(steps) == 0 {
		return fieldErr("--canary-steps", "is empty; allowed: increasing weights from 1 to 100, such as 10,50")
	}
	for i, w := range steps {
		if w < 1 || w > 100 {
			return fieldErr("--canary-steps", "%d is out of range; allowed: increasing weights from 1 to 100, such as 10,50", w)
		}
		if i > 0 && w <= steps[i-1] {
			return fieldErr("--canary-steps", "%d is not above the step before it (%d); allowed: increasing weights from 1 to 100, such as 10,50", w, steps[i-1])
		}
	}
	return nil
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ParseSteps reads --canary-steps: comma-separated weights.
func ParseSteps(s string) ([]int64, error) {
	var out []int64
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), "%")), 10, 64)
		if err != nil {
			return nil, fieldErr("--canary-steps", "%q is not a list of weights; allowed: increasing weights from 1 to 100, such as 10,50", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// describeOps lists the edits as "field: old -> new" lines, reading the
// old values from the document as each op finds it.
func describeOps(doc *yaml.Node, ops []op) []string {
	tree := cloneNode(doc)
	var out []string
	for _, o := range ops {
		var old *yaml.Node
		if m, err := mappingAt(tree, o.path); err == nil {
			_, old, _ = lookup(m, o.key)
		}
		switch {
		case o.kind == opDelete && old != nil && old.Kind == yaml.ScalarNode:
			out = append(out, fmt.Sprintf("%s: removed (was %s)", o.field(), old.Value))
		case o.kind == opDelete:
			out = append(out, fmt.Sprintf("%s: removed", o.field()))
		case old == nil:
			out = append(out, fmt.Sprintf("%s: added %s", o.field(), o.val))
		default:
			out = append(out, fmt.Sprintf("%s: %s -> %s", o.field(), shortValue(old), o.val))
		}
		_ = o.applyTree(tree)
	}
	return out
}

// shortValue is a node as one line: a scalar's value, a list of scalars in
// brackets.
func shortValue(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, c := range n.Content {
			parts[i] = shortValue(c)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "{...}"
}
