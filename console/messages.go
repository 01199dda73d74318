package console

import (
	"fmt"

	"github.com/lienthong/lienthong/schema"
)

// messages holds every text of the console in Vietnamese and English:
// {vi, en}, arguments as fmt verbs. A test checks that both are there,
// that the Vietnamese is NFC, and that every key a template names exists.
var messages = map[string][2]string{
	// Navigation and layout.
	"nav.sources":     {"Nguồn dữ liệu", "Sources"},
	"nav.runs":        {"Lượt đồng bộ", "Runs"},
	"nav.rejects":     {"Bản ghi bị từ chối", "Rejects"},
	"nav.newsource":   {"Đăng ký nguồn", "Register a source"},
	"nav.logout":      {"Đăng xuất", "Log out"},
	"nav.departments": {"Đơn vị", "Departments"},
	"nav.changes":     {"Nhật ký thay đổi", "Change log"},
	"who.admin":       {"Quản trị viên", "Administrator"},
	"who.dept":        {"Đơn vị: %v", "Department: %v"},
	"footer.zone":     {"Giờ hiển thị theo giờ Việt Nam (UTC+7).", "Times are Vietnam time (UTC+7)."},

	// Login.
	"login.title":       {"Đăng nhập", "Log in"},
	"login.token":       {"Mã truy cập (token)", "Access token"},
	"login.hint":        {"Dán mã truy cập do Sở Thông tin và Truyền thông cấp cho đơn vị, hoặc mã quản trị.", "Paste the token the ICT department issued to your department, or the administrator's token."},
	"login.submit":      {"Đăng nhập", "Log in"},
	"login.m.expired":   {"Mã truy cập đã hết hạn. Hãy đề nghị cấp mã mới rồi đăng nhập lại.", "The token has expired. Ask for a new one and log in again."},
	"login.m.revoked":   {"Mã truy cập đã bị thu hồi. Hãy đề nghị cấp mã mới rồi đăng nhập lại.", "The token was revoked. Ask for a new one and log in again."},
	"login.m.ended":     {"Phiên làm việc đã kết thúc. Hãy đăng nhập lại.", "The session has ended. Log in again."},
	"login.m.nodept":    {"Mã truy cập này không thuộc đơn vị nào.", "This token belongs to no department."},
	"login.m.loggedout": {"Bạn đã đăng xuất.", "You have logged out."},
	"login.e.empty":     {"Hãy dán mã truy cập.", "Paste a token."},
	"login.e.unknown":   {"Mã truy cập không đúng.", "The token is not known."},
	"login.e.expired":   {"Mã truy cập đã hết hạn.", "The token has expired."},
	"login.e.revoked":   {"Mã truy cập đã bị thu hồi.", "The token was revoked."},
	"login.e.nodept":    {"Mã truy cập này không thuộc đơn vị nào: bảng điều khiển dành cho các đơn vị và quản trị viên.", "This token belongs to no department: the console is for departments and the administrator."},

	// Errors.
	"error.title":     {"Không thực hiện được", "That did not work"},
	"error.back":      {"Về trang nguồn dữ liệu", "Back to the sources"},
	"err.notfound":    {"Không tìm thấy trang hoặc đối tượng này.", "There is no such page or object."},
	"err.forbidden":   {"Mã truy cập của bạn không có quyền thực hiện thao tác này.", "Your token does not allow this action."},
	"err.filemanaged": {"Đối tượng này được khai báo trong tệp cấu hình: hãy sửa tệp và chạy lienthong apply.", "This object is declared in a configuration file: change the file and run lienthong apply."},
	"err.conflict":    {"Thao tác xung đột với trạng thái hiện tại.", "The action conflicts with the current state."},
	"err.invalid":     {"Dữ liệu gửi lên không hợp lệ.", "What was sent is not valid."},
	"err.check":       {"Kiểm tra với hệ thống của đơn vị không đạt.", "The check against the department's system failed."},
	"err.system":      {"Hệ thống của đơn vị không phản hồi hoặc báo lỗi; lienthong chưa thay đổi gì. Hãy kiểm tra hệ thống đó rồi thử lại.", "The department's system did not answer or reported an error; lienthong changed nothing. Check that system and try again."},
	"err.internal":    {"Đã xảy ra lỗi nội bộ; lỗi đã được ghi nhật ký. Hãy thử lại sau.", "Something went wrong inside; it was logged. Try again later."},
	"err.unavailable": {"Hệ thống tạm thời không sẵn sàng. Hãy thử lại sau.", "The service is unavailable for now. Try again later."},
	"err.csrf":        {"Biểu mẫu đã hết hiệu lực hoặc không đến từ trang này. Hãy tải lại trang và thử lại.", "The form has expired or did not come from this site. Reload the page and try again."},
	"err.toolarge":    {"Nội dung gửi lên quá lớn.", "What was sent is too large."},

	// Page titles.
	"sources.title":     {"Nguồn dữ liệu", "Sources"},
	"newsource.title":   {"Đăng ký nguồn dữ liệu", "Register a source"},
	"stream.title":      {"Luồng dữ liệu", "Stream"},
	"mapping.title":     {"Phiên bản ánh xạ", "Mapping version"},
	"report.title":      {"Kết quả thử ánh xạ", "Mapping test"},
	"runs.title":        {"Lượt đồng bộ", "Runs"},
	"run.title":         {"Lượt đồng bộ", "Run"},
	"rejects.title":     {"Bản ghi bị từ chối", "Rejects"},
	"changes.title":     {"Nhật ký thay đổi", "Change log"},
	"departments.title": {"Đơn vị và mã truy cập", "Departments and tokens"},
	"token.title":       {"Mã truy cập mới", "New token"},
	"discover.title":    {"Bảng và tệp của nguồn", "What the source offers"},

	// Sources.
	"sources.dept":            {"Đơn vị %v", "Department %v"},
	"sources.col.stream":      {"Luồng", "Stream"},
	"sources.col.health":      {"Tình trạng", "Health"},
	"sources.col.mapping":     {"Ánh xạ đang dùng", "Active mapping"},
	"sources.col.lastrun":     {"Lượt gần nhất", "Last run"},
	"sources.col.lastsuccess": {"Thành công gần nhất", "Last success"},
	"sources.col.dataupto":    {"Dữ liệu đến (mốc)", "Data up to (cursor)"},
	"sources.col.rejects":     {"Bản ghi bị từ chối", "Rejects outstanding"},
	"sources.col.failures":    {"Lỗi liên tiếp", "Failures in a row"},
	"sources.never":           {"chưa có", "never"},
	"sources.nomapping":       {"chưa có ánh xạ", "no mapping yet"},
	"sources.none":            {"Đơn vị chưa đăng ký nguồn dữ liệu nào.", "The department has registered no source yet."},
	"sources.nodepts":         {"Chưa có đơn vị nào.", "There is no department yet."},
	"sources.secret.set":      {"đã lưu thông tin kết nối", "connection secret stored"},
	"origin.file":             {"khai báo trong tệp", "declared in a file"},
	"origin.api":              {"đăng ký trực tuyến", "registered online"},
	"health.ok":               {"Tốt", "Healthy"},
	"health.warn":             {"Có bản ghi bị từ chối", "Has rejects"},
	"health.bad":              {"Lỗi", "Failing"},
	"health.running":          {"Đang chạy", "Running"},
	"health.none":             {"Chưa chạy", "Not run yet"},
	"ago.now":                 {"vừa xong", "just now"},
	"ago.minutes":             {"%v phút trước", "%v min ago"},
	"ago.hours":               {"%v giờ trước", "%v h ago"},
	"ago.days":                {"%v ngày trước", "%v days ago"},

	// Registering a source.
	"newsource.dept":         {"Đơn vị", "Department"},
	"newsource.source":       {"Nguồn dữ liệu", "Source"},
	"newsource.name":         {"Tên nguồn", "Source name"},
	"newsource.kind":         {"Loại kết nối", "Connector kind"},
	"newsource.secret":       {"Chuỗi kết nối (có mật khẩu) hoặc mã API", "Connection string (with its password) or API token"},
	"newsource.secret.hint":  {"Được mã hoá khi lưu và không bao giờ hiển thị lại.", "Encrypted at rest and never shown again."},
	"newsource.secret.again": {"Vì lý do an toàn, hãy nhập lại.", "For safety, enter it again."},
	"newsource.options":      {"Tuỳ chọn (YAML hoặc JSON)", "Options (YAML or JSON)"},
	"newsource.options.hint": {"Tuỳ chọn riêng của loại kết nối, ví dụ base_url cho httpjson. Để trống nếu không cần.", "The connector's own settings, e.g. base_url for httpjson. Leave empty when none."},
	"newsource.stream":       {"Luồng dữ liệu đầu tiên", "First stream"},
	"newsource.streamname":   {"Tên luồng", "Stream name"},
	"newsource.table":        {"Bảng", "Table"},
	"newsource.query":        {"Hoặc câu truy vấn", "Or a query"},
	"newsource.key":          {"Khoá chính", "Primary key"},
	"newsource.key.hint":     {"Một hoặc nhiều cột, cách nhau bởi dấu phẩy.", "One or more columns, separated by commas."},
	"newsource.cursor":       {"Cột con trỏ (thời điểm cập nhật)", "Cursor column (last change)"},
	"newsource.mode":         {"Chế độ", "Mode"},
	"newsource.submit":       {"Kiểm tra và đăng ký", "Check and register"},
	"newsource.problems":     {"Kiểm tra với hệ thống của đơn vị không đạt; nguồn chưa được lưu:", "The check against the department's system failed; the source was not saved:"},
	"newsource.e.options":    {"Tuỳ chọn không đọc được: %v", "The options cannot be read: %v"},
	"newsource.e.dept":       {"Hãy chọn đơn vị.", "Choose a department."},
	"newsource.e.exists":     {"Đã có nguồn mang tên này.", "A source of that name exists."},
	"mode.incremental":       {"Gia tăng", "Incremental"},
	"mode.full_refresh":      {"Làm mới toàn bộ", "Full refresh"},
	"mode.retry":             {"Thử lại bản ghi bị từ chối", "Retry of rejects"},
	"mode.purge":             {"Dọn dữ liệu hết hạn", "Purge"},

	// A stream.
	"stream.heading":             {"Luồng %v", "Stream %v"},
	"stream.what":                {"Đọc từ", "Reads"},
	"stream.table":               {"bảng", "table"},
	"stream.trigger":             {"Đồng bộ ngay", "Run now"},
	"stream.trigger.needmapping": {"Cần kích hoạt một phiên bản ánh xạ trước khi đồng bộ.", "Activate a mapping version before running."},
	"stream.mappings":            {"Các phiên bản ánh xạ", "Mapping versions"},
	"stream.nomappings":          {"Chưa có phiên bản ánh xạ nào.", "There is no mapping version yet."},
	"stream.col.version":         {"Phiên bản", "Version"},
	"stream.col.kind":            {"Loại bản ghi", "Record kind"},
	"stream.col.created":         {"Tải lên lúc", "Uploaded"},
	"stream.col.by":              {"Người tải lên", "By"},
	"stream.active":              {"đang dùng", "active"},
	"stream.activate":            {"Kích hoạt", "Activate"},
	"stream.rollback":            {"Quay lại phiên bản này", "Roll back to this version"},
	"stream.upload":              {"Tải lên phiên bản mới", "Upload a new version"},
	"stream.upload.text":         {"Nội dung tệp ánh xạ (YAML)", "Mapping file (YAML)"},
	"stream.upload.submit":       {"Tải lên", "Upload"},
	"stream.e.empty":             {"Hãy dán nội dung tệp ánh xạ.", "Paste a mapping file."},
	"stream.runs":                {"Các lượt đồng bộ gần đây", "Recent runs"},

	// A mapping version and its test.
	"mapping.heading":         {"Ánh xạ phiên bản %v", "Mapping version %v"},
	"mapping.limit":           {"Số bản ghi thử", "Records to try"},
	"mapping.test":            {"Thử với dữ liệu thật", "Test on live records"},
	"report.heading":          {"Kết quả thử ánh xạ phiên bản %v", "Test of mapping version %v"},
	"report.note":             {"Bản ghi được đọc từ hệ thống của đơn vị và ánh xạ thử; không có gì được ghi lại.", "Records were read from the department's system and mapped; nothing was written."},
	"report.records":          {"Số bản ghi đã đọc", "Records read"},
	"report.mapped":           {"Ánh xạ thành công", "Mapped"},
	"report.rejected":         {"Bị từ chối", "Rejected"},
	"report.skipped":          {"Bỏ qua", "Skipped"},
	"report.order":            {"Bản ghi bị từ chối và bỏ qua được xếp trước và mở sẵn; bấm vào một bản ghi hợp lệ để xem.", "Rejected and skipped records come first, opened; click a mapped record to see it."},
	"report.samples":          {"Từng bản ghi", "Record by record"},
	"report.key":              {"Bản ghi %v", "Record %v"},
	"report.source":           {"Dữ liệu nguồn", "Source record"},
	"report.result":           {"Kết quả", "Result"},
	"report.outcome.mapped":   {"hợp lệ", "mapped"},
	"report.outcome.rejected": {"bị từ chối", "rejected"},
	"report.outcome.skipped":  {"bỏ qua", "skipped"},

	// Runs.
	"runs.heading":     {"Lượt đồng bộ của đơn vị %v", "Runs of %v"},
	"runs.filtered":    {"Chỉ hiện nguồn %v, luồng %v.", "Only source %v, stream %v."},
	"runs.none":        {"Chưa có lượt đồng bộ nào.", "No run yet."},
	"runs.col.stream":  {"Luồng", "Stream"},
	"runs.col.mode":    {"Chế độ", "Mode"},
	"runs.col.status":  {"Trạng thái", "Status"},
	"runs.col.started": {"Bắt đầu", "Started"},
	"runs.col.ended":   {"Kết thúc", "Ended"},
	"run.heading":      {"Lượt đồng bộ số %v", "Run %v"},
	"run.cancel":       {"Dừng lượt này", "Cancel this run"},
	"run.counts":       {"Số bản ghi", "Records"},
	"run.host":         {"Máy chạy", "Host"},
	"status.running":   {"đang chạy", "running"},
	"status.succeeded": {"thành công", "succeeded"},
	"status.failed":    {"thất bại", "failed"},
	"status.abandoned": {"bị bỏ dở", "abandoned"},
	"status.cancelled": {"đã dừng", "cancelled"},
	"count.read":       {"Đã đọc", "Read"},
	"count.inserted":   {"Thêm mới", "Inserted"},
	"count.updated":    {"Cập nhật", "Updated"},
	"count.unchanged":  {"Không đổi", "Unchanged"},
	"count.rejected":   {"Bị từ chối", "Rejected"},
	"count.skipped":    {"Bỏ qua", "Skipped"},
	"count.deleted":    {"Đã xoá", "Deleted"},

	// Rejects.
	"rejects.heading":      {"Bản ghi bị từ chối của đơn vị %v", "Rejects of %v"},
	"rejects.byreason":     {"Theo lý do", "By reason"},
	"rejects.total":        {"Tổng cộng %v bản ghi.", "%v in all."},
	"rejects.col.reason":   {"Lý do", "Reason"},
	"rejects.col.meaning":  {"Ý nghĩa", "Meaning"},
	"rejects.col.count":    {"Số bản ghi", "Records"},
	"rejects.none":         {"Không có bản ghi nào bị từ chối.", "No rejects."},
	"rejects.list":         {"Danh sách cần xử lý", "To act on"},
	"rejects.next":         {"Trang sau", "Next page"},
	"rejects.more":         {"Chỉ hiện 200 bản ghi đầu; hãy lọc hoặc tải tệp CSV để xem tất cả.", "Only the first 200 are shown; filter them or download the CSV for all."},
	"rejects.key":          {"khoá", "key"},
	"rejects.field":        {"Trường", "Field"},
	"rejects.record":       {"Bản ghi gốc", "Record as read"},
	"rejects.seen":         {"Lần đầu %v, lần cuối %v", "First seen %v, last seen %v"},
	"rejects.retry":        {"Thử lại các bản ghi cùng luồng, cùng lý do", "Retry this stream's rejects of this reason"},
	"rejects.csv":          {"Tải CSV (mở bằng Excel)", "Download CSV (opens in Excel)"},
	"discover.heading":     {"Nguồn %v: bảng, khóa và cột mốc gợi ý", "Source %v: tables, suggested keys and cursors"},
	"discover.intro":       {"lienthong vừa kết nối tới hệ thống của đơn vị và liệt kê những gì có thể đồng bộ. Khóa và cột mốc chỉ là gợi ý: hãy kiểm tra trước khi đăng ký luồng.", "lienthong has just connected to the department's system and listed what can be synced. Keys and cursors are suggestions: check them before registering a stream."},
	"discover.link":        {"Xem các bảng", "Discover tables"},
	"discover.none":        {"Nguồn không có bảng hoặc tệp nào.", "The source offers no table or file."},
	"discover.col.name":    {"Bảng hoặc tệp", "Table or file"},
	"discover.col.key":     {"Khóa gợi ý", "Suggested key"},
	"discover.col.cursor":  {"Cột mốc gợi ý", "Suggested cursor"},
	"discover.col.rows":    {"Số bản ghi (ước tính)", "Records (estimate)"},
	"discover.col.columns": {"Cột", "Columns"},
	"departments.heading":  {"Đơn vị và mã truy cập", "Departments and tokens"},
	"departments.new":      {"Thêm đơn vị", "Add a department"},
	"departments.name":     {"Mã đơn vị (chữ thường, số, - và _)", "Name (lowercase letters, digits, - and _)"},
	"departments.fullname": {"Tên đầy đủ", "Full name"},
	"departments.create":   {"Thêm", "Add"},
	"departments.none":     {"Chưa có đơn vị nào.", "There is no department yet."},
	"tokens.heading":       {"Mã truy cập", "Tokens"},
	"tokens.none":          {"Đơn vị chưa có mã truy cập nào.", "The department has no token yet."},
	"tokens.col.name":      {"Tên", "Name"},
	"tokens.col.scopes":    {"Quyền", "Scopes"},
	"tokens.col.created":   {"Cấp lúc", "Issued"},
	"tokens.col.expires":   {"Hết hạn", "Expires"},
	"tokens.col.state":     {"Trạng thái", "State"},
	"tokens.never":         {"không hết hạn", "never"},
	"tokens.live":          {"đang dùng", "live"},
	"tokens.revoked":       {"đã thu hồi", "revoked"},
	"tokens.expired":       {"đã hết hạn", "expired"},
	"tokens.revoke":        {"Thu hồi", "Revoke"},
	"tokens.issue":         {"Cấp mã truy cập", "Issue a token"},
	"tokens.name":          {"Tên mã (duy nhất)", "Token name (unique)"},
	"tokens.scopes":        {"Quyền", "Scopes"},
	"tokens.expires":       {"Hết hạn ngày (để trống: không hết hạn)", "Expires on (empty: never)"},
	"tokens.e.expires":     {"Ngày hết hạn phải viết dạng YYYY-MM-DD.", "Write the expiry date as YYYY-MM-DD."},
	"token.heading":        {"Mã truy cập %v của đơn vị %v", "Token %v of %v"},
	"token.once":           {"Hãy sao chép và gửi mã này cho đơn vị ngay: nó chỉ hiện một lần, lienthong chỉ lưu giá trị băm của nó.", "Copy this token and hand it to the department now: it is shown once, and lienthong keeps only its hash."},
	"token.back":           {"Quay lại danh sách đơn vị", "Back to the departments"},
	"changes.heading":      {"Nhật ký thay đổi", "Change log"},
	"changes.intro":        {"Ai đã thay đổi gì và khi nào, qua API, bảng điều khiển hoặc lienthong apply. Bí mật chỉ hiện là \"changed\".", "Who changed what and when, through the API, the console or lienthong apply. Secrets appear only as \"changed\"."},
	"changes.dept":         {"Đơn vị", "Department"},
	"changes.none":         {"Chưa có thay đổi nào.", "No change yet."},
	"changes.col.at":       {"Thời điểm", "When"},
	"changes.col.actor":    {"Người thực hiện", "Who"},
	"changes.col.action":   {"Thao tác", "Action"},
	"changes.col.object":   {"Đối tượng", "Object"},
	"changes.col.detail":   {"Chi tiết", "Detail"},
	"changes.older":        {"Các thay đổi cũ hơn", "Older changes"},
	"filter.all":           {"Tất cả", "All"},
	"filter.apply":         {"Lọc", "Filter"},
	"filter.clear":         {"Bỏ lọc", "Show all"},

	// What was done (flash messages after an action).
	"done.created":     {"Đã đăng ký nguồn %v.", "Source %v registered."},
	"done.uploaded":    {"Đã tải lên phiên bản %v.", "Version %v uploaded."},
	"done.activated":   {"Đã kích hoạt phiên bản %v.", "Version %v activated."},
	"done.triggered":   {"Đã yêu cầu đồng bộ (công việc số %v).", "Run requested (job %v)."},
	"done.cancelled":   {"Đã yêu cầu dừng; lượt sẽ dừng sau lô đang xử lý.", "Cancel requested; the run stops after its current batch."},
	"done.deptcreated": {"Đã thêm đơn vị %v.", "Department %v added."},
	"done.revoked":     {"Đã thu hồi mã truy cập %v.", "Token %v revoked."},
	"done.retried":     {"Đã thử lại các bản ghi bị từ chối.", "The rejects were retried."},

	// Reason codes: what they mean, in a sentence an officer acts on.
	"reason.required_missing":       {"Thiếu trường bắt buộc: hãy bổ sung trong hệ thống nguồn.", "A required field has no value: fill it in the source system."},
	"reason.unknown_field":          {"Bản ghi có trường không thuộc loại dữ liệu: sửa tên trường trong tệp ánh xạ.", "The record has a field its kind does not define: fix the mapping."},
	"reason.bad_format":             {"Giá trị sai định dạng hoặc quá dài: sửa trong hệ thống nguồn.", "A value has the wrong type, length or form: correct it in the source."},
	"reason.bad_value":              {"Giá trị không nằm trong danh mục cho phép.", "A value is not one of the field's values."},
	"reason.bad_date":               {"Ngày không hợp lệ (ngày/tháng bị đảo, ngày không có thật).", "A date is not a real calendar date."},
	"reason.bad_phone":              {"Số điện thoại không hợp lệ.", "A phone number is not valid."},
	"reason.bad_email":              {"Địa chỉ thư điện tử không hợp lệ.", "An e-mail address is not valid."},
	"reason.bad_sex":                {"Giới tính không đọc được (cần Nam hoặc Nữ).", "The sex cannot be read (Nam or Nữ)."},
	"reason.id_invalid":             {"Số định danh không đúng dạng 12 chữ số.", "An ID number does not have the form of one."},
	"reason.id_invalid_province":    {"Số định danh không bắt đầu bằng mã tỉnh hợp lệ.", "An ID number starts with no province code."},
	"reason.id_sex_mismatch":        {"Số định danh không khớp giới tính.", "The ID number encodes the other sex."},
	"reason.id_birth_year_mismatch": {"Số định danh không khớp năm sinh.", "The ID number encodes another birth year."},
	"reason.date_order":             {"Hai ngày của bản ghi có thứ tự không thể xảy ra.", "Two dates are in an impossible order."},
	"reason.date_in_future":         {"Ngày của sự kiện đã xảy ra lại ở tương lai.", "A date of a past event is in the future."},
	"reason.implausible_age":        {"Tuổi không hợp lý (trên 122).", "An implausible age (over 122)."},
	"reason.under_legal_age":        {"Chưa đủ tuổi kết hôn vào ngày đăng ký.", "Below the legal age of marriage on the registration date."},
	"reason.mapping_error":          {"Không ánh xạ được trường (thiếu cột nguồn?).", "The mapping could not make a field (a missing column?)."},
	"reason.duplicate_key":          {"Trùng khoá với một bản ghi nguồn khác.", "Another source record has the same key."},
	"reason.encoding_suspect":       {"Văn bản có vẻ dùng bảng mã cũ (TCVN3, VNI): hãy gõ lại bằng Unicode.", "Text looks like a legacy encoding (TCVN3, VNI): retype it in Unicode."},
	"reason.unknown_admin_unit":     {"Không tìm thấy đơn vị hành chính.", "No such administrative unit."},
	"reason.ambiguous_admin_unit":   {"Tên đơn vị hành chính trùng nhiều nơi.", "The administrative unit's name is ambiguous."},
	"reason.bad_certificate_number": {"Số đăng ký không viết theo dạng số/năm, ví dụ 12/2024.", "The certificate number is not written number/year, e.g. 12/2024."},
}

// msg returns a message in the language, formatted with args. A key the
// table lacks comes back as itself, so a slip shows on the page (and the
// test of the templates' keys catches it first).
func msg(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m[0]
	if lang == "en" {
		s = m[1]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

func msgExists(key string) bool {
	_, ok := messages[key]
	return ok
}

// word translates a value of a known set (a status, a mode, an origin),
// leaving one the table does not know as it is.
func word(lang, set, value string) string {
	if msgExists(set + "." + value) {
		return msg(lang, set+"."+value)
	}
	return value
}

// reasonMeaning says what a reason code means: the table's sentence, or
// in English the schema's own; empty for a code of a mapping's own rule
// the table does not know (its message says what is wrong).
func reasonMeaning(lang, code string) string {
	if msgExists("reason." + code) {
		return msg(lang, "reason."+code)
	}
	if lang == "en" {
		for _, r := range schema.Reasons() {
			if r.Code == code {
				return r.Meaning
			}
		}
	}
	return ""
}
