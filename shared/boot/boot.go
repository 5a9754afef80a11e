// Package boot is the start-up every function shares: read the environment,
// set up JSON logging, load and validate the bundled config, and load the AWS
// SDK config once per container.
package boot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

// Runtime is what a function's main needs to build its service.
type Runtime struct {
	Env    funcenv.Env
	Config *config.Config
	AWS    aws.Config
	Logger *slog.Logger
}

// Start reads the environment through lookup, logs JSON to w, loads the config
// and the SDK config. The SDK honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_<SERVICE>, which is how tests and the demo reach moto.
func Start(ctx context.Context, function string, lookup func(string) (string, bool), w io.Writer) (*Runtime, error) {
	env, err := funcenv.Read(lookup)
	if err != nil {
		return nil, err
	}
	if env.Function == "" {
		env.Function = function
	}
	logger := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level(env.LogLevel)})).
		With("function", env.Function)
	cfg, err := config.Load(env.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("load config %s: %w", env.ConfigPath, err)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS SDK config: %w", err)
	}
	logger.Info("started", "config", env.ConfigPath, "config_version", cfg.Version, "region", awsCfg.Region)
	return &Runtime{Env: env, Config: cfg, AWS: awsCfg, Logger: logger}, nil
}

func level(s string) slog.Level {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
