package apiv1

import (
	"time"

	"github.com/wardenhq/warden"
)

// Alert is a detection alert.
type Alert struct {
	ID        string               `json:"id"`
	Rule      string               `json:"rule"`
	Principal string               `json:"principal"`
	Kind      warden.PrincipalKind `json:"kind"`
	Severity  string               `json:"severity"`
	Action    string               `json:"action"` // alert, lock, or "... (shadow)"
	Status    warden.AlertStatus   `json:"status"`
	Reason    string               `json:"reason"`
	Events    []int64              `json:"events"` // sequence numbers in the audit log
	Note      string               `json:"note,omitempty"`
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt *time.Time           `json:"updated_at,omitempty"`
	UpdatedBy string               `json:"updated_by,omitempty"`
}

// Alerts is a list of alerts, newest first.
type Alerts struct {
	Alerts []Alert `json:"alerts"`
}
