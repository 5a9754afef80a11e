package evidence

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

func TestAccountAliasOnMoto(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	c := iam.NewFromConfig(m.Config(ctx))
	got, err := AccountAlias(ctx, c)
	if err != nil || got != "" {
		t.Fatalf("no alias: %q, %v", got, err)
	}
	if _, err := c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-prod")}); err != nil {
		t.Fatal(err)
	}
	got, err = AccountAlias(ctx, c)
	if err != nil || got != "acme-prod" {
		t.Errorf("AccountAlias = %q, %v", got, err)
	}
}

func TestAccountAliasDenied(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Form.Get("Action") != "ListAccountAliases" {
			t.Errorf("action = %q", r.Form.Get("Action"))
		}
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform iam:ListAccountAliases</Message></Error></ErrorResponse>`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
	c := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 })
	got, err := AccountAlias(t.Context(), c)
	if err == nil || got != "" || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("AccountAlias = %q, %v; want the AccessDenied error", got, err)
	}
}
