// Command infra is the Watchkeeper CDK app: it loads watchkeeper.yaml, fails
// the synth with every config error (file:line) and otherwise defines the stack.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// Context keys the app reads.
const (
	// contextConfig names the config file, relative to the repo root (cdk.json sets it).
	contextConfig = "watchkeeper:config"
	// defaultConfigPath is used when the context is not set.
	defaultConfigPath = "watchkeeper.yaml"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run builds and synthesizes the app; every failure comes back as an error
// so main is the only place that exits.
func run() (err error) {
	defer jsii.Close()
	// The CDK reports construct errors (and a failed bundle) as jsii panics.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth: %v", r)
		}
	}()

	root, err := repoRoot()
	if err != nil {
		return err
	}
	app := awscdk.NewApp(nil)
	if _, _, err := defineApp(app, root); err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

// defineApp loads the config named by the app's context and adds the stack
// and the cdk-nag checks to app.
func defineApp(app awscdk.App, root string) (awscdk.Stack, *config.Config, error) {
	path := defaultConfigPath
	if v, ok := app.Node().TryGetContext(jsii.String(contextConfig)).(string); ok && v != "" {
		path = v
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return nil, nil, err
	}
	stack, err := newStack(app, cfg, root)
	if err != nil {
		return nil, nil, err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return stack, cfg, nil
}

// loadConfig loads the config strictly and runs the deploy-time checks; the
// error lists every problem with its file:line.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("config %s:\n%w", path, err)
	}
	if err := cfg.DeployCheck(); err != nil {
		return nil, fmt.Errorf("config %s is not deployable:\n%w", path, err)
	}
	return cfg, nil
}

// newStack adds the Watchkeeper stack for cfg to app.
func newStack(app awscdk.App, cfg *config.Config, root string) (awscdk.Stack, error) {
	configJSON, err := cfg.JSON()
	if err != nil {
		return nil, fmt.Errorf("normalize config: %w", err)
	}
	dep := cfg.Deployment
	props := &WatchkeeperStackProps{
		StackProps: awscdk.StackProps{
			Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
				Qualifier: jsii.String(orDefault(dep.BootstrapQualifier, config.DefaultBootstrapQualifier)),
			}),
			Description: jsii.String("Watchkeeper: alarm notifications, CloudTrail detection and remediation"),
		},
		Config:     cfg,
		ConfigJSON: configJSON,
		RepoRoot:   root,
	}
	if dep.Account != "" || dep.Region != "" {
		props.Env = &awscdk.Environment{}
		if dep.Account != "" {
			props.Env.Account = jsii.String(dep.Account)
		}
		if dep.Region != "" {
			props.Env.Region = jsii.String(dep.Region)
		}
	}
	name := orDefault(dep.StackName, config.DefaultStackName)
	stack := NewWatchkeeperStack(app, name, props)
	if need, _ := needsGlobalEvents(cfg); need {
		newGlobalEvents(app, cfg, name)
	}
	return stack, nil
}

// repoRoot is the checkout at or above the working directory: `go run
// ./infra` runs from there, and tests run below it.
func repoRoot() (string, error) { return repo.Root(".") }
