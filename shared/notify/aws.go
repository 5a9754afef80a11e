package notify

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
)

// AWSRetryable classifies an error from an AWS SDK call (the sns and email
// channels) after the SDK's own retries: throttling, 5xx and transient
// network errors as the SDK's standard retryer sees them are retryable, and
// so is whatever Retryable accepts; validation, authorization and not-found
// errors are not.
func AWSRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return true
	}
	switch retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) {
	case aws.TrueTernary:
		return true
	case aws.FalseTernary:
		return false
	}
	return Retryable(err)
}
