package strategies

// CanaryRelease is filled in by the canary strategy.
func CanaryRelease(t Target) Result {
	return Result{Findings: []Finding{errorf("spec.strategy", "canary is not implemented yet")}}
}

func validateCanary(s *Spec) []Finding { return nil }
