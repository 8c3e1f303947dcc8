module example.com/app

go 1.21

require (
	github.com/google/uuid v1.6.0
	golang.org/x/text v0.3.7
)
