package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

var moto awstest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	_ = moto.Close()
	os.Exit(code)
}

var tableSeq atomic.Int64

// countingTable passes calls to DynamoDB and counts the counter updates.
type countingTable struct {
	*dynamodb.Client
	updates atomic.Int64
}

func (c *countingTable) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.updates.Add(1)
	return c.Client.UpdateItem(ctx, in, optFns...)
}

// stateTable creates a fresh state table in the package's moto.
func stateTable(t *testing.T) (*countingTable, string) {
	t.Helper()
	m := moto.Get(t)
	db := dynamodb.NewFromConfig(m.Config(t.Context()))
	name := "detect-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := state.CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	return &countingTable{Client: db}, name
}

var eventSeq atomic.Int64

// trailRecord is a CloudTrail record: an IAM user's call with the given
// fields replaced (userIdentity as a whole).
func trailRecord(t testing.TB, at time.Time, fields map[string]any) []byte {
	t.Helper()
	n := eventSeq.Add(1)
	r := map[string]any{
		"eventVersion": "1.10",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": "arn:aws:iam::123456789012:user/alice",
			"accountId": "123456789012", "accessKeyId": "AKIAEXAMPLEALICE0001", "userName": "alice"},
		"eventTime":          at.UTC().Format(time.RFC3339),
		"eventSource":        "ec2.amazonaws.com",
		"eventName":          "DescribeInstances",
		"awsRegion":          "eu-west-1",
		"sourceIPAddress":    "203.0.113.10",
		"userAgent":          "aws-cli/2.22.4",
		"requestParameters":  nil,
		"responseElements":   nil,
		"eventID":            fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		"readOnly":           true,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": "123456789012",
	}
	maps.Copy(r, fields)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// user is a userIdentity for name in the sample account.
func user(name string) map[string]any {
	return map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/" + name, "accountId": "123456789012",
		"accessKeyId": "AKIA" + name, "userName": name}
}

// logsEvent wraps records in a Logs subscription event for log group group.
func logsEvent(t *testing.T, group string, records ...[]byte) []byte {
	t.Helper()
	type logEvent struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	batch := struct {
		MessageType         string     `json:"messageType"`
		Owner               string     `json:"owner"`
		LogGroup            string     `json:"logGroup"`
		LogStream           string     `json:"logStream"`
		SubscriptionFilters []string   `json:"subscriptionFilters"`
		LogEvents           []logEvent `json:"logEvents"`
	}{MessageType: alert.LogsDataMessage, Owner: "123456789012", LogGroup: group, LogStream: "123456789012_CloudTrail_eu-west-1",
		SubscriptionFilters: []string{"watchkeeper-detector"}}
	for i, r := range records {
		batch.LogEvents = append(batch.LogEvents, logEvent{ID: strconv.Itoa(i), Timestamp: 1795598047250 + int64(i), Message: string(r)})
	}
	decoded, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := alert.EncodeLogs(decoded)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func repeat(n int, f func(i int) []byte) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}
