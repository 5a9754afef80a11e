package notify

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// LazyAWS hands out one SDK client built from the configured aws.Config, or
// from the default configuration loaded on first use, so constructing a
// channel never blocks on credentials or IMDS.
type LazyAWS[C any] struct {
	cfg *aws.Config
	new func(aws.Config) C

	mu     sync.Mutex
	client C
	ok     bool
}

// NewLazyAWS returns a LazyAWS calling newClient with cfg (nil: the default
// configuration).
func NewLazyAWS[C any](cfg *aws.Config, newClient func(aws.Config) C) *LazyAWS[C] {
	return &LazyAWS[C]{cfg: cfg, new: newClient}
}

// Client returns the client, building it on first call.
func (l *LazyAWS[C]) Client(ctx context.Context) (C, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ok {
		return l.client, nil
	}
	var cfg aws.Config
	if l.cfg != nil {
		cfg = *l.cfg
	} else {
		c, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			var zero C
			return zero, fmt.Errorf("load AWS config: %w", err)
		}
		cfg = c
	}
	l.client, l.ok = l.new(cfg), true
	return l.client, nil
}
