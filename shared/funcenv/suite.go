package funcenv

// Environment variables infra sets on the sweeper so its posture sweep can
// check that the suite's own triggers are still wired. Unset, the check is
// skipped.
const (
	// TrailLogGroup is the CloudTrail log group the detector subscribes to.
	TrailLogGroup = "WATCHKEEPER_TRAIL_LOG_GROUP"
	// DetectorARN is the detector function's ARN, the subscription's destination.
	DetectorARN = "WATCHKEEPER_DETECTOR_ARN"
	// RulePrefix starts the name of every EventBridge rule of the stack.
	RulePrefix = "WATCHKEEPER_RULE_PREFIX"
)
