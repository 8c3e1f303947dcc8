package warden

import "time"

// AlertStatus is where an alert stands.
type AlertStatus string

// Alert states.
const (
	AlertOpen         AlertStatus = "open"
	AlertAcknowledged AlertStatus = "acknowledged"
	AlertResolved     AlertStatus = "resolved"
)

// AlertRecord is a detection's alert as a Store keeps it: what clear fields
// filters need, the rest (reason, the events' sequence numbers, notes)
// sealed.
type AlertRecord struct {
	ID        string // "alt_" + random
	Rule      string
	Principal string
	Kind      PrincipalKind
	Severity  string // low, medium, high
	Action    string // what detection did: record, alert, lock
	Status    AlertStatus
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
	Sealed    []byte
}

// AlertTx keeps alerts.
type AlertTx interface {
	// CreateAlert stores a; ECONFLICT if its id exists.
	CreateAlert(a *AlertRecord) error
	// AlertByID returns one alert or ENOTFOUND.
	AlertByID(id string) (*AlertRecord, error)
	// UpdateAlert saves a's status, update time, updater and sealed part.
	UpdateAlert(a *AlertRecord) error
	// Alerts returns up to limit alerts, newest first; status "" for any.
	Alerts(status AlertStatus, limit int) ([]*AlertRecord, error)
}
