// Package fakeapitest holds what tests add to the fakes of package fakeapi: faults and hostile
// servers no demo serves (a rate limit, a redirect trap, an endless body).
package fakeapitest

import (
	"net/http"
	"strconv"

	"github.com/infragraph/infragraph/collectors/fakeapi"
)

// RateLimited is a 429 asking to retry after secs seconds.
func RateLimited(secs int) fakeapi.Fault {
	return fakeapi.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {strconv.Itoa(secs)}}}
}
