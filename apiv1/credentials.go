package apiv1

// SetPassword is the body of PUT /api/v1/humans/{name}/password.
type SetPassword struct {
	Password string `json:"password"`
}

// TOTPEnrolment answers POST /api/v1/humans/{name}/totp. The URI holds the
// secret and is shown this once.
type TOTPEnrolment struct {
	URI string `json:"uri"`
}
