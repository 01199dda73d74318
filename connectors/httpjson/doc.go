// Package httpjson reads department systems that offer a REST API
// answering JSON. It registers the connector kind "httpjson" from init.
//
// # Configuration
//
// A stream's table is its API path, appended to base_url ("births" under
// "https://h/api/v1" is https://h/api/v1/births); it holds no query string
// and no "..". A stream's query must be empty. primary_key and cursor name
// record fields; a dotted name ("ho_so.ma") reaches into nested objects when
// no top-level field has that whole name.
//
// The source's secret (the configuration resolves it from dsn_env or
// dsn_file into connectors.Config.DSN) is the only credential: the bearer
// token, the basic-auth password, the API key or the OAuth2 client secret.
// Nothing secret is written in options: base_url refuses a user or
// password, headers and query refuse names that look like credentials
// (Authorization, Cookie, X-API-Key, access_token, api_key, ...), and a
// secret configured while auth.type is none is an error (it would never be
// sent).
//
//	sources:
//	  - name: hotich-api
//	    kind: httpjson
//	    dsn_env: HOTICH_API_SECRET        # token, password, API key or client secret
//	    timeout: 30s                       # one attempt of one request, body included (default 30s)
//	    options:
//	      base_url: https://api.sotuphap.hatinh.gov.vn/v1   # required; https unless allow_http
//	      allow_http: false                # true allows a secret over plain http (department LAN); loopback always allowed
//	      allow_networks: [10.20.0.0/16]   # loopback and private networks the source may connect to (default: none)
//	      redirects: same_origin           # same_origin (default), same_host, none or any
//	      headers: {Accept-Language: vi}   # extra request headers, nothing secret
//	      auth:
//	        type: oauth2                   # none (default), bearer, basic, api_key or oauth2
//	        # basic:   username: lienthong           (password = secret)
//	        # api_key: header: X-API-Key (default)   or   param: api_key  (query parameter)
//	        token_url: https://sso.hatinh.gov.vn/oauth2/token   # oauth2, required
//	        client_id: lienthong                                 # oauth2, required
//	        scopes: [hotich.read]                                # oauth2, optional
//	        client_auth: basic             # oauth2: basic (default) or body (client_id/client_secret in the form)
//	      rate_limit: 5                    # requests per second for the whole source, retries included; 0 = none (default)
//	      max_response_bytes: 32MiB        # per response, after decompression (default 32MiB); bytes or KiB/MiB/GiB
//	      retry:
//	        max: 5                         # retries after the first attempt (default 5)
//	        wait_min: 1s                   # backoff (default 1s, doubling, jittered)
//	        wait_max: 30s                  # (default 30s)
//	        max_retry_after: 2m            # a longer Retry-After fails the run instead of waiting (default 2m)
//	      discover: [ho-tich/khai-sinh]    # paths Discover looks at
//	      # Stream settings: here they are every stream's defaults,
//	      # under streams.<stream name> they override them for one stream.
//	      records_path: data.items         # dotted path of the records array; "" (default) = the body is the array
//	      query: {tinh: "42"}              # fixed query parameters; merged key by key with a stream's
//	      cursor_param: updated_since      # sends the checkpoint's cursor; unset = lienthong filters by itself
//	      flatten: false                   # true lifts nested objects to "a.b" fields (see Records)
//	      pagination:                      # required, here or for each stream
//	        type: page                     # none, page, offset, cursor or link
//	        page_param: page               # page: default "page"
//	        start: 1                       # page: first page number (default 1)
//	        size_param: page_size          # page, cursor, link: sends size under this name (default: not sent)
//	        size: 100                      # records asked per page (default: the stream's page_size)
//	        short_page_ends: false         # page, offset: a page shorter than size ends the read (default: an empty page does)
//	        # offset: offset_param: offset, limit_param: limit (defaults); the offset
//	        #         advances by the records received, not by the limit asked for
//	        # cursor: token_path: meta.next_cursor (required), token_param: cursor (required);
//	        #         the read ends when the token is absent, null or ""
//	        # link:   next_path: links.next (a body field); unset = the RFC 8288
//	        #         Link header's rel="next"; it must stay on base_url's scheme and host
//	      streams:
//	        khai-sinh:
//	          records_path: items
//	          query: {loai: khai_sinh}
//	          pagination: {type: cursor, token_path: next, token_param: after, size_param: limit, size: 500}
//	    streams:
//	      - name: khai-sinh
//	        table: ho-tich/khai-sinh       # the API path
//	        primary_key: [id]
//	        cursor: updated_at
//	        look_back: 10m
//	        mapping: mappings/khai-sinh.yaml
//
// Options are decoded strictly: an unknown option, a wrong type, or an
// option that does not apply to the chosen auth or pagination type is an
// error naming it. options.streams entries are matched by stream name when
// a stream is read; an entry for a stream the source does not have is
// never used.
//
// # Networks and redirects
//
// Every connection the source opens (to base_url, the token endpoint, a
// next link, a redirect, a retry) is checked by internal/netguard once
// its name is resolved, so neither a DNS name nor a redirect gets round
// the check. Public addresses are allowed. Loopback, private (10/8,
// 172.16/12, 192.168/16, fc00::/7), shared (100.64/10) and reserved
// addresses are refused unless allow_networks lists a network holding
// them: a department API on the province's private network is listed
// ("allow_networks: [10.20.0.0/16]"). Link-local addresses (169.254/16,
// fe80::/10), cloud metadata services (169.254.169.254, 100.100.100.200,
// fd00:ec2::254, ...), 0.0.0.0, ::, multicast and broadcast are always
// refused, even when a listed network covers them (Open logs a warning for
// a listed network that can allow nothing). IPv4-mapped IPv6 addresses
// are judged by their IPv4 address. An IP address written in base_url or
// token_url is judged when the options are decoded. A refused connection
// fails the run at once (no retries) with an error wrapping
// netguard.ErrRefused that names the host, its address and the option to
// change. Proxies from the environment (HTTPS_PROXY) are not used: through
// one, the check would see the proxy's address, not the API's.
//
// redirects says which redirects a request follows (at most 10):
// same_origin (the default) only to the same scheme, host and port;
// same_host to any port or scheme of the same host name; any anywhere the
// network check allows; none never. A redirect the policy refuses fails
// the run with an error wrapping ErrRedirect. Whatever the policy, a
// request that leaves the first request's origin carries no credentials:
// the Authorization and Cookie headers, the API key header and the API
// key parameter are taken off (net/http alone would keep them for another
// port or a subdomain, and would keep an API key header anywhere), and
// no request carries a Referer. The OAuth2 token request, whose body may
// hold the client secret, never follows a redirect off its own origin.
//
// # Requests
//
// Every request goes through go-retryablehttp. 429, 408 and 5xx answers
// other than 501, transport errors and bodies cut off by the connection
// are retried up to retry.max times
// with jittered exponential backoff, or after the Retry-After header's
// delay (seconds or HTTP-date) when the answer has one. The rate limit
// spaces every attempt, token requests included, at least 1/rate_limit
// apart. Any other non-2xx answer, or retries running out, fails the run
// with a *StatusError: the method, the URL without credentials (no user
// info; "xxxxx" for the API key parameter, for any parameter whose name
// suggests a credential, and for any value holding the secret), the
// status, the attempts and a hint about the body, never the body itself:
// an error page may echo a citizen's name or ID number, and errors go
// into the run ledger and the logs. The hint is the body's media type and
// length and, from a JSON error body, the first of code, error_code,
// errorCode, error, error.code, error.type and message whose value reads
// as a code: ASCII letters and digits in parts joined by _ . - or :, at
// most 48 characters, not starting with a common Vietnamese family name
// followed by more words ("nguyen_van_an"); with more than four digits,
// its digit runs are masked ("CCCD_#"); secrets are blanked first. Free
// text, e-mail addresses and Vietnamese words are never shown. A 401 under OAuth2 fetches a new token and sends the request
// once more; the token is otherwise cached until shortly before expires_in
// runs out (or until a 401, without expires_in).
//
// A response that can not be read fails the run with a *ResponseError
// (wrapping ErrBadResponse, or ErrResponseTooLarge past
// max_response_bytes) that shows the same URL and status and the body's
// media type and length (its records are not shown): a
// body that is not JSON or not UTF-8 (JSON must be; a TCVN3 or
// Windows-1258 body is not silently mangled), no field at records_path, a
// value there that is not an array (null is an empty page), a record that
// is not an object or has no primary key, a cursor that is an object, or
// a next token or link of the wrong type. Two pages in a row with the same
// records (an API that ignores the page parameter) also fail the run.
//
// # Records
//
// Record.Key is the primary key values joined by "|": strings as sent,
// numbers with the digits the API sent ("12345678901234567890" stays
// whole). Record.Fields is the record object with numbers converted: an
// integer that fits int64 is int64; another number with at most 15
// significant digits (which float64 holds exactly as written) is float64;
// a longer one is a string of its digits. Nested objects stay
// map[string]any and arrays []any, with the same conversion inside. The
// mapping package reads top-level fields only, so a stream whose mapping
// needs nested values sets flatten: true, which lifts nested objects to
// dotted names ("dia_chi.tinh"); a record where a dotted name collides
// with a nested one is rejected with Problem code "malformed_record".
// Strings, Vietnamese included, are delivered exactly as sent (\u escapes
// decoded), so NFC text stays NFC; normalising is the mapping's job.
//
// Memory is bounded by one page: a page is read whole (within
// max_response_bytes), the connection released, and its records handed
// out and dropped one by one.
//
// # Reads and guarantees
//
// A full refresh reads every page with no cursor filter. An incremental
// read of a stream with a checkpoint sends cursor_param=<checkpoint cursor>
// (lowered by look_back, if set) and then reads every page. Whatever the
// API returns, the connector itself drops records whose cursor is below
// that value, and records whose (cursor, key) equals the checkpoint's
// cursor and one of its ties: the keys the previous read delivered with
// exactly that cursor. APIs usually filter with >=, so those come back on
// every read; they are not delivered twice, and a record that arrived later
// with the same cursor is not skipped. With look_back the whole window,
// ties included, is delivered again (the national store finds re-read
// records unchanged). Without cursor_param the API returns everything and
// this filter alone makes the read incremental. Records whose cursor is
// null, absent or "" are delivered with NullCursor set whenever the API
// returns them.
//
// The checkpoint the next read starts from (Reader.Final) is the greatest
// cursor delivered and its ties. Cursors compare as numbers when both are
// decimal numbers, as instants when both are ISO 8601 timestamps or dates,
// else as text; a cursor of another kind than the checkpoint's fails the
// run rather than be guessed. The cursor text is sent back exactly as the
// API printed it.
//
// What this guarantees: with an API that filters by cursor_param with >=
// and whose pages do not move during a read, every record changed after
// the previous read is delivered exactly once by the next one, and none
// twice across reads. The guarantee is weaker when the API filters with >,
// does not sort by cursor, or pages by offset or page number while records
// change:
//
//   - An API that filters with > never returns a record that changed after
//     the previous read but carries exactly the checkpoint's cursor (common
//     with timestamps of whole seconds): the next read misses it.
//   - A record changed during a read, on a page the read already passed,
//     is missed by the next read if the read also saw, on a later page, a
//     record whose cursor is greater than the changed record's new cursor
//     (the checkpoint jumps past it). An API sorted by cursor ascending
//     does not have this problem.
//   - With offset or page-number pagination, a record that changes or is
//     deleted during a read shifts the records behind it by one place; the
//     record pushed across a page boundary into a page already read is not
//     delivered by this read, and is missed by the next if its cursor is
//     below the checkpoint. Cursor-token and link pagination, which APIs
//     usually implement with keysets, do not shift.
//   - A record committed late with a cursor below the checkpoint (a long
//     transaction on the department's side) is missed, as with any cursor.
//
// For such APIs set look_back on the stream to more than the longest read
// plus the longest commit delay (e.g. "2h"): re-read records cost a
// request and a hash comparison, nothing more. A periodic full refresh
// also repairs anything missed, and detects deletions.
//
// A record may be delivered twice within a read only if the API returns it
// twice, e.g. once before and once after a change that moved it.
//
// # Checkpoints
//
// A checkpoint is a JSON object; absent fields are omitted:
//
//	{"cursor":"2024-05-01T10:00:00+07:00","ties":["41","42"]}
//	    between reads: the greatest cursor delivered and the keys with it.
//	{"cursor":"...","ties_overflow":true}
//	    more than 1000 records share the greatest cursor: the next read
//	    delivers all of them again instead of keeping their keys.
//	{"cursor":"...","ties":[...],"read":{"since":"...","since_ties":[...],
//	 "page":3,"next":17,"last_key":"42"}}
//	    inside a read (a Record.Position): the read's filter, the page
//	    being read ("page", "offset", "token" or "url" by pagination type;
//	    none for the first link page or type none), and the records of that
//	    page handled. "full":true marks a full refresh.
//
// Resuming from a Position requests the same page again and goes on after
// the record named by last_key, at index next when it is still there, else
// wherever it is on the page; if it is gone, the page is delivered again
// from its start (duplicates are harmless downstream, a skip is not). The
// API key is never stored in a checkpoint's next link. An incremental read
// refuses an unfinished full-refresh checkpoint, as sqlsource does.
//
// # Optional interfaces
//
// Source implements connectors.Discoverer.
//
// # Must not
//
// The package must not send a request the options did not ask for, follow
// a next link or a redirect to another origin with the credentials, open a
// connection that internal/netguard did not check, hold more than one
// page of records, put the secret, an access token or an API key into an
// error, a log or a checkpoint, or copy a response body into an error or
// a log.
package httpjson
