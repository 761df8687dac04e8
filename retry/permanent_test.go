package retry

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Real errors, from real dials: a closed port, a TLS server without a trusted certificate.
func TestPermanent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, refused := http.Get("http://" + addr + "/")
	if !Permanent(refused) {
		t.Errorf("connection refused is not permanent: %v", refused)
	}
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_, badCert := http.Get(srv.URL)
	if !Permanent(badCert) {
		t.Errorf("an untrusted certificate is not permanent: %v", badCert)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, cancelled := http.DefaultClient.Do(req)
	if Permanent(cancelled) || Permanent(nil) {
		t.Errorf("a cancelled request is permanent: %v", cancelled)
	}
}
