package ops

import "testing"

// TestScrubDSNs: a password is cut from every DSN a message quotes, in
// URL and key=value forms; the rest of the message stays.
func TestScrubDSNs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"dial postgres://u:p4ss-w0rd@db.so-tp:5432/hotich: refused", "dial postgres://u:xxxxx@db.so-tp:5432/hotich: refused"},
		{"open mysql://root:s3cr%2Ft@10.0.0.5/x failed", "open mysql://root:xxxxx@10.0.0.5/x failed"},
		{"host=db password=p4ss dbname=x: timeout", "host=db password=xxxxx dbname=x: timeout"},
		{"host=db PASSWORD='p 4ss' dbname=x", "host=db PASSWORD=xxxxx dbname=x"},
		{"https://api.so-yte.vn/v1/cards?page=2: 503", "https://api.so-yte.vn/v1/cards?page=2: 503"},
		{"user@example.org is unknown", "user@example.org is unknown"},
	} {
		if got := scrubDSNs(tc.in); got != tc.want {
			t.Errorf("scrubDSNs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
