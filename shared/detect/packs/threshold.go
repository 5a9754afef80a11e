package packs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Threshold is a pack rule's burst condition: Count records the rule's
// pattern selects, from one Key, within Window. It is the pack form of the
// config's detection.thresholds and runs in the same engine.
type Threshold struct {
	// Count is how many records within Window fire the rule (at least 1).
	Count int `yaml:"count"`
	// Window is the sliding window, a Go duration such as 5m, between 1s
	// and config.MaxThresholdWindow.
	Window string `yaml:"window"`
	// Key groups the count: principal, source_ip, access_key or account.
	Key string `yaml:"key"`
}

// ThresholdKeys are the keys a pack threshold may count by: record fields
// every CloudTrail record has, unlike the labels config thresholds may use.
func ThresholdKeys() []string {
	return []string{config.ThresholdKeyPrincipal, config.ThresholdKeySourceIP, config.ThresholdKeyAccessKey, config.ThresholdKeyAccount}
}

// Duration is the parsed Window; Parse has checked it.
func (t *Threshold) Duration() (time.Duration, error) {
	d, err := time.ParseDuration(t.Window)
	if err != nil {
		return 0, fmt.Errorf("window %q: %w", t.Window, err)
	}
	return d, nil
}

// check validates the threshold's count, window and key.
func (t *Threshold) check() error {
	var errs []error
	if t.Count < 1 {
		errs = append(errs, fmt.Errorf("count %d must be at least 1", t.Count))
	}
	if d, err := t.Duration(); err != nil {
		errs = append(errs, err)
	} else if d < time.Second || d > config.MaxThresholdWindow {
		errs = append(errs, fmt.Errorf("window %q must be between 1s and %s", t.Window, config.MaxThresholdWindow))
	}
	if !slices.Contains(ThresholdKeys(), t.Key) {
		errs = append(errs, fmt.Errorf("key %q is not one of %s", t.Key, strings.Join(ThresholdKeys(), ", ")))
	}
	return errors.Join(errs...)
}
