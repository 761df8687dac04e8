package fakeapi

import (
	"cmp"
	"io"
	"net/http"
	"strings"
)

// Fault is one way a fake misbehaves, said the same way for every provider: answer a status
// (401, 429, 500…) with headers, garbage, nothing at all (hang) or a hollow 2xx. Each fake writes
// it in its provider's wire format: the error body for Status is the provider's, with Message
// in it (the provider's own text for the status when empty).
//
//	srv.Fault("/v2/droplets", 2, fakeapitest.RateLimited(1))       // two 429s, Retry-After: 1
//	srv.Fault("/v1/projects/", fakeapi.Always, fakeapi.Fault{Status: 500}) // the whole family
type Fault struct {
	Status  int    // answer this status with the provider's error body
	Message string // that body's message: an API (or a proxy before it) echoing what it was sent
	// Body answers Status (200 when 0) with this raw body instead of the provider's error body,
	// JSON or not (a proxy's error page).
	Body string
	// Header is added to the answer (Retry-After, a provider's rate-limit reset).
	Header http.Header
	// Garbage answers 200 with a body that is neither JSON nor XML-RPC, labelled JSON.
	Garbage bool
	// Hang never answers: the request ends when the client gives up.
	Hang bool
	// Hollow serves the real answer with every 2xx body replaced by this ("{}", "null"): the
	// right status and nothing in it (Hollow the handler).
	Hollow string
}

// garbage is what a Garbage fault answers: a gateway's page cut short.
const garbage = "<html><body>502 upstream garbage {{{"

// Serve answers r with f. The parts that are the same for every provider are written here;
// providerError(w, status, message) writes the provider's error body for f.Status, and next
// serves the real answer a Hollow fault empties.
func (f Fault) Serve(w http.ResponseWriter, r *http.Request, providerError func(w http.ResponseWriter, status int, message string), next http.Handler) {
	for k, vs := range f.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	switch {
	case f.Hang:
		<-r.Context().Done()
	case f.Hollow != "":
		Hollow(next, f.Hollow).ServeHTTP(w, r)
	case f.Garbage:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, garbage)
	case f.Body != "":
		w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
		_, _ = io.WriteString(w, f.Body)
	default:
		providerError(w, f.Status, f.Message)
	}
}

// Injector holds a fake's faults, by route: every fake embeds one, so every test says a fault
// the same way (Fault). Safe for concurrent use; faults may be added while the fake serves.
type Injector struct {
	faults Faults[Fault]
}

// Fault makes the next times requests on route answer f (times Always or any negative number:
// every one of them; 0 adds nothing). route is a path, matched exactly; one ending in "/" is a
// family and matches that path and every path below it; "" or "*" matches every path. Faults
// answer in the order added.
func (in *Injector) Fault(route string, times int, f Fault) {
	in.faults.Add(Route(route), times, f)
}

// Take returns the fault that answers a request to path, if any, and counts the answer.
func (in *Injector) Take(path string) (Fault, bool) { return in.faults.Take(path) }

// Route is Fault's route matching: exact, a family ("…/"), or everything ("" or "*").
func Route(route string) func(path string) bool {
	return func(p string) bool {
		family, ok := strings.CutSuffix(route, "/")
		return route == "" || route == "*" || p == route || ok && (p == family || strings.HasPrefix(p, route))
	}
}
