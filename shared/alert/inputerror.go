package alert

// InputError is a function's input that it cannot read: not JSON, or no
// trigger shape it knows. Lambda reports an error's type name as errorType, so
// a failed invocation on the on-failure queue says "InputError" rather than a
// wrapper's name, and redriving it unchanged will fail the same way.
type InputError struct {
	// Function is the function that received the input.
	Function string
	// Err is the parse error.
	Err error
}

func (e *InputError) Error() string { return e.Function + " cannot read its input: " + e.Err.Error() }

// Unwrap returns the parse error, so errors.Is(err, ErrInvalidJSON) holds.
func (e *InputError) Unwrap() error { return e.Err }
