package retry

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"syscall"

	"github.com/infragraph/infragraph/httpguard"
)

// Permanent reports whether a transport error will not change within a scan: a connection
// refused (nothing listens there), a name that does not resolve, a TLS certificate that does not
// verify. Retrying such a call for seconds only buries its cause under "context deadline
// exceeded"; the caller returns it at once, as it is. So is a refusal of httpguard's (a
// redirect to another origin, a body past its cap): the server would only answer it again.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if httpguard.Fatal(err) {
		return true
	}
	var dnsErr *net.DNSError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr x509.CertificateInvalidError
	var tlsRecord tls.RecordHeaderError
	var tlsVerify *tls.CertificateVerificationError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return true
	case errors.As(err, &dnsErr):
		return dnsErr.IsNotFound
	case errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &certErr),
		errors.As(err, &tlsRecord), errors.As(err, &tlsVerify):
		return true
	}
	return false
}
