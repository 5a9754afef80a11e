package remediate

import (
	"errors"
	"testing"
)

// TestCheckStep covers the by/to checks asg-adjust-capacity and
// ecs-set-desired-count share.
func TestCheckStep(t *testing.T) {
	tests := []struct {
		name string
		p    Params
		want string
	}{
		{"by", Params{"by": -2}, ""},
		{"to zero", Params{"to": 0}, ""},
		{"neither", Params{}, "set exactly one of by and to"},
		{"both", Params{"by": 1, "to": 3}, "set exactly one of by and to"},
		{"by zero", Params{"by": 0}, "by is 0: the action would never change anything"},
		{"to negative", Params{"to": -1}, "to is -1: a count cannot be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkStep(tt.p, "count")
			if (err == nil) != (tt.want == "") || (err != nil && err.Error() != tt.want) {
				t.Errorf("checkStep(%v) = %v, want %q", tt.p, err, tt.want)
			}
		})
	}
}

// TestStepWantAndDone covers the value a step asks for and when an Apply of
// it is done, may go ahead, or meets a value that moved.
func TestStepWantAndDone(t *testing.T) {
	wants := []struct {
		from int32
		p    Params
		want int64
	}{
		{4, Params{"by": 2}, 6},
		{4, Params{"by": -6}, -2},
		{4, Params{"to": 9}, 9},
		{2147483647, Params{"by": 1}, 2147483648},
	}
	for _, w := range wants {
		if got := stepWant(w.from, w.p); got != w.want {
			t.Errorf("stepWant(%d, %v) = %d, want %d", w.from, w.p, got, w.want)
		}
	}
	dones := []struct {
		name          string
		from, to, now int32
		done, changed bool
	}{
		{"still from", 2, 4, 2, false, false},
		{"already to", 2, 4, 4, true, false},
		{"moved", 2, 4, 3, false, true},
		{"no change planned", 3, 3, 3, true, false},
	}
	for _, d := range dones {
		t.Run(d.name, func(t *testing.T) {
			done, err := stepDone("desired count of c/s", d.from, d.to, d.now)
			if done != d.done || errors.Is(err, ErrChanged) != d.changed || (err != nil) != d.changed {
				t.Errorf("stepDone(%d, %d, %d) = %v, %v; want done %v, changed %v", d.from, d.to, d.now, done, err, d.done, d.changed)
			}
			if d.changed && err.Error() != "set desired count of c/s: "+ErrChanged.Error()+": planned from 2, now 3" {
				t.Errorf("stepDone error = %q", err)
			}
		})
	}
}
