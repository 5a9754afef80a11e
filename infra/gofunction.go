package main

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

// Asynchronous invocation settings shared by every function.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
const (
	// asyncRetryAttempts is the Lambda maximum (2) for async retries.
	asyncRetryAttempts = 2
	// asyncMaxEventAgeHours is the Lambda maximum (6 h) an event may wait for a retry.
	asyncMaxEventAgeHours = 6
)

// GoFunctionProps configure a GoFunction.
type GoFunctionProps struct {
	// Name is the function's directory under functions/ (notifier, remediator, detector, sweeper).
	Name string
	// RepoRoot is the module root; the function is built from RepoRoot/functions/Name.
	RepoRoot string
	// ConfigJSON is the normalized config bundled as watchkeeper.json.
	ConfigJSON []byte
	// Settings size the function.
	Settings config.FunctionSettings
	// LogRetention of the function's log group.
	LogRetention awslogs.RetentionDays
	// RemovalPolicy of the log group.
	RemovalPolicy awscdk.RemovalPolicy
	// Tracing turns on X-Ray active tracing.
	Tracing bool
	// Environment variables besides WATCHKEEPER_FUNCTION (set from Name).
	Environment map[string]*string
	// DataDir and DataPaths are files bundled beside watchkeeper.json (paths
	// relative to DataDir, the config file's directory).
	DataDir   string
	DataPaths []string
}

// GoFunction is a Go Lambda function on provided.al2023/arm64 with its own
// role, log group and on-failure dead-letter queue.
type GoFunction struct {
	// Function is the Lambda function.
	Function awslambda.Function
	// Role is the function's execution role; it starts empty and callers grant to it.
	Role awsiam.Role
	// LogGroup receives the function's JSON logs.
	LogGroup awslogs.LogGroup
	// FailureQueue receives events whose asynchronous invocation failed after retries.
	FailureQueue awssqs.Queue
}

// NewGoFunction builds the function from source with a local Go toolchain
// (never Docker) and wires logging, async failure handling and its role.
func NewGoFunction(scope constructs.Construct, id string, props *GoFunctionProps) *GoFunction {
	c := constructs.NewConstruct(scope, jsii.String(id))

	logGroup := awslogs.NewLogGroup(c, jsii.String("LogGroup"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: props.RemovalPolicy,
	})

	// A role of our own instead of the default one, which would attach the
	// AWSLambdaBasicExecutionRole managed policy (logs:* on every group).
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Execution role of the Watchkeeper " + props.Name + " function"),
	})
	logGroup.GrantWrite(role)

	failures := NewDeadLetterQueue(c, "FailureQueue", awscdk.RemovalPolicy_DESTROY)

	env := map[string]*string{funcenv.Function: jsii.String(props.Name)}
	for k, v := range props.Environment {
		env[k] = v
	}

	sum := sha256.Sum256(props.ConfigJSON)
	code := awslambda.Code_FromAsset(jsii.String(filepath.Join(props.RepoRoot, "functions", props.Name)), &awss3assets.AssetOptions{
		// The output of a reproducible build (-trimpath, -buildvcs=false, no
		// cgo) plus the config changes exactly when code or config does.
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Never pulled or run: the local bundler always succeeds or fails the synth.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("watchkeeper/local-go-bundling-only")),
			Local: &goBundler{RepoRoot: props.RepoRoot, Function: props.Name, ConfigJSON: props.ConfigJSON,
				DataDir: props.DataDir, DataPaths: props.DataPaths},
			// Part of the CDK's in-process asset cache key, so two configs never share a staged asset.
			Environment: &map[string]*string{"WATCHKEEPER_CONFIG_SHA256": jsii.String(hex.EncodeToString(sum[:]))},
		},
	})

	tracing := awslambda.Tracing_DISABLED
	if props.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	fnProps := &awslambda.FunctionProps{
		Description:           jsii.String("Watchkeeper " + props.Name),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String(bootstrapName),
		Code:                  code,
		Role:                  role,
		MemorySize:            jsii.Number(float64(orDefault(props.Settings.MemoryMB, config.DefaultMemoryMB))),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(float64(orDefault(props.Settings.TimeoutSeconds, config.DefaultTimeoutSeconds)))),
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		ApplicationLogLevelV2: awslambda.ApplicationLogLevel_INFO,
		SystemLogLevelV2:      awslambda.SystemLogLevel_INFO,
		LogGroup:              logGroup,
		Tracing:               tracing,
		Environment:           &env,
		OnFailure:             awslambdadestinations.NewSqsDestination(failures),
		RetryAttempts:         jsii.Number(asyncRetryAttempts),
		MaxEventAge:           awscdk.Duration_Hours(jsii.Number(asyncMaxEventAgeHours)),
	}
	if props.Settings.ReservedConcurrency > 0 {
		fnProps.ReservedConcurrentExecutions = jsii.Number(float64(props.Settings.ReservedConcurrency))
	}
	fn := awslambda.NewFunction(c, jsii.String("Function"), fnProps)

	if props.Tracing {
		justifyWildcards(role, map[string]string{
			`/^Resource::\*$/`: "X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no " +
				"resource-level permissions, so the CDK grants them on '*' (Service Authorization Reference, AWS X-Ray).",
		})
	}

	return &GoFunction{Function: fn, Role: role, LogGroup: logGroup, FailureQueue: failures}
}
