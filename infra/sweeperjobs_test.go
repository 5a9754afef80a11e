package main

import (
	"slices"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

// Every job's table and bus actions are within what the stack grants the
// sweeper on the state table (StateTable.GrantReadWrite) and on the bus
// (GrantPutEventsTo), so a job never fails on a permission at run time.
func TestSweeperJobsTableAndBusActionsAreGranted(t *testing.T) {
	busActions := []string{"events:PutEvents"}
	for _, j := range sweep.Catalog() {
		for _, a := range j.TableActions {
			if !slices.Contains(stateTableActions, a) {
				t.Errorf("job %s needs %s on the table, which the stack does not grant", j.Name, a)
			}
		}
		for _, a := range j.BusActions {
			if !slices.Contains(busActions, a) {
				t.Errorf("job %s needs %s on the bus, which the stack does not grant", j.Name, a)
			}
		}
	}
	spec, err := sweep.LookupJob(sweep.JobReminders)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(spec.TableActions, "dynamodb:Query") || !slices.Contains(spec.BusActions, "events:PutEvents") || len(spec.Permissions) != 0 {
		t.Errorf("reminders job spec %+v: it queries the table and publishes on the bus, and needs nothing account-wide", spec)
	}
}
