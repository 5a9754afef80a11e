package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// MaxBatchWriteItems is how many put requests one BatchWriteItem call may carry.
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
const MaxBatchWriteItems = 25

// Retries of the items a BatchWriteItem call leaves unprocessed (throttling):
// AWS asks for exponential backoff between attempts.
const (
	maxBatchAttempts = 6
	batchBackoffBase = 25 * time.Millisecond
)

// batchWriter is the part of the DynamoDB client PutAudits uses. The SDK
// client implements it; a Store over a client without it writes one item
// at a time.
type batchWriter interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ batchWriter = (*dynamodb.Client)(nil)

// ErrAuditTimeRequired is returned by the idempotent audit writers for a
// record without a time: the time is part of the key, so it must come from
// the trigger, which a redelivery repeats, not from the clock.
var ErrAuditTimeRequired = errors.New("audit record needs a time from its trigger to be idempotent")

// auditItem is r as a table item: pk "AUDIT#<kind>#<id>", sk the UTC time.
func auditItem(r AuditRecord) (map[string]types.AttributeValue, error) {
	when := r.Time.UTC()
	item := map[string]types.AttributeValue{
		AttrPK:     &types.AttributeValueMemberS{Value: PK(Audit, r.Kind+"#"+r.ID)},
		AttrSK:     &types.AttributeValueMemberS{Value: when.Format(time.RFC3339Nano)},
		AttrGSI1PK: &types.AttributeValueMemberS{Value: TimeIndexPK(Audit, when)},
		AttrGSI1SK: &types.AttributeValueMemberS{Value: when.Format(time.RFC3339Nano) + "#" + r.ID},
		"kind":     &types.AttributeValueMemberS{Value: r.Kind},
	}
	for k, v := range r.Fields {
		if _, taken := item[k]; taken {
			return nil, fmt.Errorf("audit field %q clashes with a key attribute", k)
		}
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	return item, nil
}

// PutAuditAt writes r keyed by its kind, id and time alone, so writing the
// same record again (a redelivered trigger) replaces it instead of adding a
// second one. r.Time must be set, from the trigger (ErrAuditTimeRequired).
func (s *Store) PutAuditAt(ctx context.Context, r AuditRecord) error {
	if r.Time.IsZero() {
		return fmt.Errorf("put audit %s/%s: %w", r.Kind, r.ID, ErrAuditTimeRequired)
	}
	item, err := auditItem(r)
	if err != nil {
		return fmt.Errorf("put audit %s/%s: %w", r.Kind, r.ID, err)
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("put audit %s/%s: %w", r.Kind, r.ID, err)
	}
	return nil
}

// FindAudit returns the earliest audit record of kind and id, whatever its
// time: a writer that keys records by trigger finds what an earlier
// attempt wrote, and rewrites it in place (PutAuditAt with its time).
func (s *Store) FindAudit(ctx context.Context, kind, id string) (AuditRecord, bool, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		ConsistentRead:           aws.Bool(true),
		KeyConditionExpression:   aws.String("#pk = :pk"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: PK(Audit, kind+"#"+id)},
		},
		ScanIndexForward: aws.Bool(true),
		Limit:            aws.Int32(1),
	})
	if err != nil {
		return AuditRecord{}, false, fmt.Errorf("find audit %s/%s: %w", kind, id, err)
	}
	if len(out.Items) == 0 {
		return AuditRecord{}, false, nil
	}
	r, err := auditFromItem(out.Items[0])
	if err != nil {
		return AuditRecord{}, false, fmt.Errorf("find audit %s/%s: %w", kind, id, err)
	}
	return r, true, nil
}

// PutAudits writes records as PutAuditAt does (each must have a time), in
// BatchWriteItem calls of at most MaxBatchWriteItems, retrying the items a
// call leaves unprocessed with backoff. Records with the same key keep the
// last one (a batch may not name a key twice). The error names how many
// records were not written.
func (s *Store) PutAudits(ctx context.Context, records []AuditRecord) error {
	var (
		reqs []types.WriteRequest
		errs []error
	)
	at := map[string]int{}
	for _, r := range records {
		if r.Time.IsZero() {
			errs = append(errs, fmt.Errorf("audit %s/%s: %w", r.Kind, r.ID, ErrAuditTimeRequired))
			continue
		}
		item, err := auditItem(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("audit %s/%s: %w", r.Kind, r.ID, err))
			continue
		}
		key := PK(Audit, r.Kind+"#"+r.ID) + "\x00" + r.Time.UTC().Format(time.RFC3339Nano)
		req := types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
		if i, dup := at[key]; dup {
			reqs[i] = req
			continue
		}
		at[key] = len(reqs)
		reqs = append(reqs, req)
	}
	bw, ok := s.db.(batchWriter)
	if !ok {
		for _, req := range reqs {
			if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: req.PutRequest.Item}); err != nil {
				errs = append(errs, fmt.Errorf("put audit: %w", err))
			}
		}
		return errors.Join(errs...)
	}
	for start := 0; start < len(reqs); start += MaxBatchWriteItems {
		chunk := reqs[start:min(start+MaxBatchWriteItems, len(reqs))]
		if err := s.batchWrite(ctx, bw, chunk); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// batchWrite writes one chunk, retrying what DynamoDB leaves unprocessed.
func (s *Store) batchWrite(ctx context.Context, bw batchWriter, chunk []types.WriteRequest) error {
	pending := chunk
	for attempt := 0; ; attempt++ {
		out, err := bw.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: pending},
		})
		if err != nil {
			return fmt.Errorf("batch write %d audit records to table %s: %w", len(pending), s.table, err)
		}
		pending = out.UnprocessedItems[s.table]
		if len(pending) == 0 {
			return nil
		}
		if attempt+1 >= maxBatchAttempts {
			return fmt.Errorf("batch write audit records to table %s: %d of %d still unprocessed after %d attempts",
				s.table, len(pending), len(chunk), maxBatchAttempts)
		}
		t := time.NewTimer(batchBackoffBase << attempt)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("batch write audit records to table %s: %d unprocessed: %w", s.table, len(pending), ctx.Err())
		case <-t.C:
		}
	}
}
