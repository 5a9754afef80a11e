// Command echofn is a tiny Lambda function for testing the local runner: it
// returns the event it received, fails when the event is {"fail":true}, and
// reports its environment when the event is {"env":["NAME",...]},
// exits without answering on {"crash":true} and sleeps on {"sleep":"2s"}.
// It lives under testdata so `go build ./...` skips it; build it by path.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// errAsked is returned when the event asks the function to fail.
var errAsked = errors.New("echofn: failing as asked")

type probe struct {
	Fail  bool     `json:"fail"`
	Crash bool     `json:"crash"`
	Sleep string   `json:"sleep"`
	Env   []string `json:"env"`
}

func handle(ctx context.Context, event json.RawMessage) (any, error) {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	var p probe
	// A non-object event (array, string, number) is echoed as is.
	_ = json.Unmarshal(event, &p)
	logger.InfoContext(ctx, "echofn invoked", "bytes", len(event), "fail", p.Fail)
	if p.Crash {
		// Exit without answering, as a runtime crash would.
		os.Exit(3)
	}
	if p.Sleep != "" {
		d, err := time.ParseDuration(p.Sleep)
		if err != nil {
			return nil, fmt.Errorf("echofn: sleep: %w", err)
		}
		// Ignore the deadline, as a runaway function would: the emulator's
		// timeout must be what ends it, or timeout tests race the handler.
		time.Sleep(d)
	}
	if p.Fail {
		return nil, errAsked
	}
	if len(p.Env) > 0 {
		got := make(map[string]*string, len(p.Env))
		for _, name := range p.Env {
			if v, ok := os.LookupEnv(name); ok {
				got[name] = &v
			} else {
				got[name] = nil
			}
		}
		return map[string]any{"env": got}, nil
	}
	return event, nil
}

func main() {
	lambda.Start(handle)
}
