package httpsink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/lienthong/lienthong/national/ingest"
	"github.com/lienthong/lienthong/schema"
)

// ReasonOther stands for a national reason code this lienthong does not
// know: reason codes become metric labels and ledger columns, which take
// values from fixed lists only. The national code is kept in the message.
const ReasonOther = "national_other"

var knownReasons = func() map[string]bool {
	m := map[string]bool{ingest.ReasonHashMismatch: true, ingest.ReasonKeyMismatch: true, ingest.ReasonUnknownKind: true}
	for _, r := range schema.Reasons() {
		m[r.Code] = true
	}
	return m
}()

// reasonCode is the code a national rejection is recorded under.
func reasonCode(code string) string {
	if knownReasons[code] {
		return code
	}
	return ReasonOther
}

// retryPolicy is go-retryablehttp's default (connection errors, 429 and
// 5xx but 501) without the failures sending again cannot mend: a TLS
// handshake the other side refused (our certificate) or we refused
// (theirs).
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if err != nil && tlsRefusal(err) {
		return false, err
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

// tlsRefusal reports whether err is a TLS handshake refused by either side.
func tlsRefusal(err error) bool {
	var alert tls.AlertError
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &alert) || errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &invalid) ||
		strings.Contains(err.Error(), "remote error: tls:")
}
