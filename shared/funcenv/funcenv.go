// Package funcenv names the environment variables the CDK app sets on every
// function and reads them into one typed struct, so main is the only place
// that touches the process environment.
package funcenv

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Environment variable names shared by infra (which sets them) and the functions (which read them).
const (
	// Config is the path of the config file (YAML or JSON). Default: $LAMBDA_TASK_ROOT/watchkeeper.json.
	Config = "WATCHKEEPER_CONFIG"
	// Table is the DynamoDB state table name.
	Table = "WATCHKEEPER_TABLE"
	// Bus is the name of the suite's own EventBridge bus.
	Bus = "WATCHKEEPER_BUS"
	// AlarmTopic is the ARN of the alarm SNS topic.
	AlarmTopic = "WATCHKEEPER_ALARM_TOPIC"
	// Function is the logical function name (notifier, remediator, detector, sweeper).
	Function = "WATCHKEEPER_FUNCTION"
	// TaskRoot is set by the Lambda runtime to the directory holding bootstrap.
	TaskRoot = "LAMBDA_TASK_ROOT"
	// LogLevel is debug, info (default), warn or error.
	LogLevel = "WATCHKEEPER_LOG_LEVEL"
)

// ConfigFileName is the name of the normalized config bundled next to bootstrap.
const ConfigFileName = "watchkeeper.json"

// Env is what a function reads from its environment.
type Env struct {
	ConfigPath string
	Table      string
	Bus        string
	AlarmTopic string
	Function   string
	LogLevel   string
}

// Read builds an Env from lookup (os.LookupEnv in main; a map in tests).
func Read(lookup func(string) (string, bool)) (Env, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	e := Env{
		ConfigPath: get(Config),
		Table:      get(Table),
		Bus:        get(Bus),
		AlarmTopic: get(AlarmTopic),
		Function:   get(Function),
		LogLevel:   get(LogLevel),
	}
	if e.ConfigPath == "" {
		root := get(TaskRoot)
		if root == "" {
			return e, fmt.Errorf("neither %s nor %s is set: cannot find the config", Config, TaskRoot)
		}
		e.ConfigPath = filepath.Join(root, ConfigFileName)
	}
	return e, nil
}
