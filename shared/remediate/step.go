package remediate

import (
	"errors"
	"fmt"
)

// checkStep checks the by and to parameters the capacity and count actions
// share: exactly one of them, a step that changes something, a value that
// is not negative. noun names what they set ("capacity", "count").
func checkStep(p Params, noun string) error {
	switch {
	case p.Has("by") == p.Has("to"):
		return errors.New("set exactly one of by and to")
	case p.Has("by") && p.Int("by") == 0:
		return errors.New("by is 0: the action would never change anything")
	case p.Has("to") && p.Int("to") < 0:
		return fmt.Errorf("to is %d: a %s cannot be negative", p.Int("to"), noun)
	}
	return nil
}

// stepWant is the value by or to asks for, starting from from, before any
// bound applies.
func stepWant(from int32, p Params) int64 {
	if p.Has("to") {
		return int64(p.Int("to"))
	}
	return int64(from) + int64(p.Int("by"))
}

// stepDone decides an Apply of a change planned from from to to, given the
// value now: done when it is to already, go ahead when it is still from. Any
// other value is ErrChanged: a relative step applied to a value that moved
// would compound with whatever moved it, so re-plan instead. what names the
// value ("desired capacity of web").
func stepDone(what string, from, to, now int32) (bool, error) {
	switch now {
	case to:
		return true, nil
	case from:
		return false, nil
	}
	return false, fmt.Errorf("set %s: %w: planned from %d, now %d", what, ErrChanged, from, now)
}
