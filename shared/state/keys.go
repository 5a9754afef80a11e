// Package state is the DynamoDB state table: one table, one key design, every
// writer. Items are addressed by a partition key "pk" and sort key "sk", both
// strings prefixed by record type, so a reader can tell any item's kind from
// its key alone.
package state

// Attribute names of the table. Infra builds the table from these; the
// functions read and write with them.
const (
	// AttrPK is the partition key (string).
	AttrPK = "pk"
	// AttrSK is the sort key (string).
	AttrSK = "sk"
	// AttrTTL is the TTL attribute (number, epoch seconds). Audit records never carry it.
	AttrTTL = "expires_at"
	// AttrGSI1PK and AttrGSI1SK key the time index: partition by record type and
	// UTC day ("AUDIT#2026-11-25"), sort by RFC 3339 time plus id.
	AttrGSI1PK = "gsi1pk"
	AttrGSI1SK = "gsi1sk"
)

// IndexByTime is the GSI for time-range queries (weekly digest, audit browsing).
const IndexByTime = "by-time"

// RecordType is the prefix of every key: what kind of item it is.
type RecordType string

// Record types. The partition key is "<TYPE>#<id>".
const (
	// Dedup marks a delivery (trigger idempotency key) or an alert+state already handled.
	Dedup RecordType = "DEDUP"
	// Silence is an active silence (matchers, expiry).
	Silence RecordType = "SILENCE"
	// Counter is a windowed counter (detector thresholds, remediation blast radius).
	Counter RecordType = "COUNTER"
	// Audit is a kept-forever record of a decision (remediation, notification sent).
	Audit RecordType = "AUDIT"
	// AlertState is the last known state of an alert (threads, repeats, reminders).
	AlertState RecordType = "ALERT"
)

// PK returns the partition key for a record of type t with identity id.
func PK(t RecordType, id string) string { return string(t) + "#" + id }

// Silences ("SILENCE"): one item per silence, pk "SILENCE#<id>", sk "META".
// All silences share one time-index partition, SilencePartition, sorted by
// gsi1sk "<ends_at UTC, RFC 3339 to the second>#<id>", so the silences still in
// effect are one Query (gsi1sk > now), not a Scan; there are few enough of
// them that one partition never runs hot. The TTL deletes a silence a grace
// period after it ends, so recently expired ones can still be listed.
const SilencePartition = string(Silence)

// Alert state and storm groups use the by-time index as two sparse, constant
// partitions instead of the per-day ones:
//
//   - An ALERT item ("ALERT#<alert id>", sk META) carries gsi1pk FiringIndexPK
//     only while the alert fires, with gsi1sk "<next reminder, fixed-width
//     UTC>#<alert id>". A resolved alert drops both attributes (and gets a
//     TTL), so it leaves the index: listing what fires and finding due
//     reminders are one Query each, never a Scan.
//   - A GROUP item ("GROUP#<group key>", sk META) carries gsi1pk
//     PendingGroupsIndexPK only while it holds alerts not yet sent, with
//     gsi1sk "<earliest flush time>#<group key>"; a flush removes them.
//
// Both partitions stay small (what fires now, groups waiting minutes), so
// one partition key each does not make a hot spot.
const (
	// FiringIndexPK is the by-time index partition of firing alerts.
	FiringIndexPK = "ALERT#FIRING"
	// PendingGroupsIndexPK is the by-time index partition of groups with unsent alerts.
	PendingGroupsIndexPK = "GROUP#PENDING"
)

// Group is a storm group of one route: the alerts collected since its last
// message (see dispatch).
const Group RecordType = "GROUP"
