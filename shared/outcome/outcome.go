// Package outcome is the response every Watchkeeper function returns: what it
// received, what it decided and what it did. `make invoke` prints it and
// `make demo` summarizes a run from it, so it is the functions' public contract.
package outcome

// Response is the JSON a function invocation returns.
type Response struct {
	// Function is notifier, remediator, detector or sweeper.
	Function string `json:"function"`
	// Trigger is the kind of input (sns, alarm-action, eventbridge, logs, schedule, ...).
	Trigger string `json:"trigger"`
	// Alerts are the normalized alerts the input became.
	Alerts []Alert `json:"alerts,omitempty"`
	// Deliveries are the messages rendered and sent (or written, for file channels).
	Deliveries []Delivery `json:"deliveries,omitempty"`
	// Findings are suspicious activity or posture problems raised.
	Findings []Finding `json:"findings,omitempty"`
	// Remediations are the actions decided: planned, applied, skipped or failed.
	Remediations []Remediation `json:"remediations,omitempty"`
	// Records counts log records for log-driven functions.
	Records *Records `json:"records,omitempty"`
	// Duplicates counts deliveries already handled (idempotency) and skipped.
	Duplicates int `json:"duplicates,omitempty"`
	// Skipped explains why the input needed no work (e.g. a Logs control message).
	Skipped string `json:"skipped,omitempty"`
}

// Alert summarizes one normalized alert.
type Alert struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	State    string `json:"state"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
}

// Delivery is one rendered message for one channel.
type Delivery struct {
	AlertID  string `json:"alert_id"`
	Receiver string `json:"receiver"`
	Channel  string `json:"channel"`
	// Status is sent, written (file channel), duplicate (already sent),
	// suppressed (send_resolved false), silenced (a silence or maintenance
	// window), grouped (collected for a storm group's message), inhibited
	// (muted by a firing alert) or failed; Error then says why.
	Status string `json:"status"`
	// Location is where a file channel wrote the message.
	Location string `json:"location,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Finding summarizes a finding raised.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	Resource string `json:"resource,omitempty"`
	// Published is true once it is on the watchkeeper bus.
	Published bool `json:"published"`
	// Deduplicated is true when an earlier finding of the same rule and
	// subject in the dedup window stands for this one (it was counted).
	Deduplicated bool `json:"deduplicated,omitempty"`
}

// Remediation summarizes one remediation decision.
type Remediation struct {
	Rule     string `json:"rule"`
	Action   string `json:"action"`
	Resource string `json:"resource"`
	// Mode is dry-run or enforce.
	Mode string `json:"mode"`
	// Outcome is planned, applied, skipped or failed.
	Outcome string `json:"outcome"`
	// Detail says what would change or changed, or why it was skipped.
	Detail string `json:"detail,omitempty"`
}

// Records counts log records seen by the detector.
type Records struct {
	Received int `json:"received"`
	Parsed   int `json:"parsed"`
	Invalid  int `json:"invalid"`
}
