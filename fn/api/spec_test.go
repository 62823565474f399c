package api

import "testing"

func TestIntOrPercentCheck(t *testing.T) {
	tests := []struct {
		raw     string
		max     int64
		wantBad bool
	}{
		{"3", 100, false}, {`"50%"`, 100, false}, {`"100%"`, 100, false},
		{`"101%"`, 100, true}, {`"200%"`, 0, false}, {`"5"`, 100, true},
		{`"%"`, 100, true}, {`"-5%"`, 100, true}, {"-2", 100, true}, {`"+5%"`, 100, true},
	}
	for _, tc := range tests {
		var v IntOrPercent
		if err := v.UnmarshalJSON([]byte(tc.raw)); err != nil {
			t.Fatal(err)
		}
		if got := v.Check(tc.max) != nil; got != tc.wantBad {
			t.Errorf("Check(%s, max %d) bad = %v, want %v", tc.raw, tc.max, got, tc.wantBad)
		}
	}
}
