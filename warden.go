// Package warden is the vocabulary of Warden: principals, roles, workspaces,
// files, events and decisions, the error codes every plane shares, and the
// service interfaces (Store, BlobStore) that the implementation packages fill
// in. It does no I/O and imports nothing outside the standard library, so any
// package can depend on it without dragging in a technology.
package warden
