package demo

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// card is a health insurance card as the social insurance office's API
// returns it: a vendor's field names, camelCase Vietnamese.
type card struct {
	MaThe       string `json:"maThe"`
	MaSoBHXH    string `json:"maSoBHXH"`
	SoDinhDanh  string `json:"soDinhDanh"`
	HoTen       string `json:"hoTen"`
	NgaySinh    string `json:"ngaySinh"`
	GioiTinh    string `json:"gioiTinh"`
	DiaChi      string `json:"diaChi"`
	NoiCap      string `json:"noiCap"`
	MaKCB       string `json:"maKCB"`
	TenKCB      string `json:"tenKCB"`
	GiaTriTu    string `json:"giaTriTu"`
	GiaTriDen   string `json:"giaTriDen"`
	MucHuong    int    `json:"mucHuong"`
	NgayCapNhat string `json:"ngayCapNhat"`
}

// BHXH is the demo's third department: Bảo hiểm xã hội tỉnh Hà Tĩnh, whose
// system serves health insurance cards over an HTTP API with a bearer
// token, paginated, filtered by last update. It runs in the demo's process
// on a loopback port.
type BHXH struct {
	// URL is the API's base URL.
	URL string
	// Token is the bearer token the API accepts.
	Token string

	srv   *http.Server
	mu    sync.Mutex
	cards []card
}

var facilities = [][2]string{
	{"42001", "Bệnh viện Đa khoa tỉnh Hà Tĩnh"}, {"42011", "Trung tâm Y tế huyện Hương Sơn"},
	{"42017", "Trung tâm Y tế huyện Cẩm Xuyên"}, {"42022", "Bệnh viện Đa khoa thị xã Kỳ Anh"},
}

// StartBHXH issues a card to every other citizen of the civil-status
// register (so one citizen's pre-fill gathers records from two
// departments) and starts serving them.
func StartBHXH(ctx context.Context, f Files) (*BHXH, error) {
	db, err := openDept(f.Department)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT id, so_dinh_danh, ho_ten, ngay_sinh, gioi_tinh, que_quan FROM khai_sinh
		WHERE id % 2 = 0 AND length(so_dinh_danh) = 12 AND ho_ten <> '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read the register for the card holders: %w", err)
	}
	defer rows.Close()
	g := newGen(3)
	b := &BHXH{}
	updated := time.Date(2025, 11, 20, 7, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	for rows.Next() {
		var id int
		var soDinhDanh, hoTen, ngaySinh, gioiTinh, queQuan string
		if err := rows.Scan(&id, &soDinhDanh, &hoTen, &ngaySinh, &gioiTinh, &queQuan); err != nil {
			return nil, err
		}
		born, err := time.Parse("02/01/2006", ngaySinh)
		if err != nil {
			continue // the register's impossible dates stay out of the card system
		}
		fac := facilities[g.r.IntN(len(facilities))]
		ssn := fmt.Sprintf("42%08d", id)
		c := card{
			MaThe: "TE142" + ssn, MaSoBHXH: ssn, SoDinhDanh: soDinhDanh, HoTen: hoTen,
			NgaySinh: born.Format(time.DateOnly), GioiTinh: gioiTinh, DiaChi: queQuan,
			NoiCap: "BHXH tỉnh Hà Tĩnh", MaKCB: fac[0], TenKCB: fac[1],
			GiaTriTu: born.Format(time.DateOnly), GiaTriDen: born.AddDate(6, 0, -1).Format(time.DateOnly), MucHuong: 1,
			NgayCapNhat: updated.Add(time.Duration(id) * time.Second).Format(time.RFC3339),
		}
		if born.AddDate(6, 0, 0).Before(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
			// Older than six: a pupil's card (HS), benefit level 4.
			c.MaThe, c.MucHuong = "HS442"+ssn, 4
			c.GiaTriTu, c.GiaTriDen = "2025-01-01", "2025-12-31"
		}
		b.cards = append(b.cards, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	if _, err := crand.Read(tok); err != nil {
		return nil, err
	}
	b.Token = hex.EncodeToString(tok)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the demo API: %w", err)
	}
	b.URL = "http://" + ln.Addr().String() + "/api/v1"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/the-bhyt", b.list)
	b.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

// Close stops the API.
func (b *BHXH) Close() error { return b.srv.Close() }

// Cards returns how many cards the API serves.
func (b *BHXH) Cards() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.cards)
}

// Renew extends the cards of pupils for 2026, as the office does each
// December, and returns how many it renewed.
func (b *BHXH) Renew() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	at := time.Date(2025, 12, 16, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	n := 0
	for i := range b.cards {
		c := &b.cards[i]
		if c.MaThe[:2] == "HS" && i%3 == 0 {
			c.GiaTriDen = "2026-12-31"
			c.NgayCapNhat = at.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
			n++
		}
	}
	return n
}

// list answers GET /the-bhyt?updated_since=RFC3339&page=N&page_size=M,
// ordered by last update, the way many vendors' APIs do.
func (b *BHXH) list(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+b.Token {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	if page < 1 {
		page = 1
	}
	if size < 1 || size > 500 {
		size = 100
	}
	var since time.Time
	if s := q.Get("updated_since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			http.Error(w, `{"error":"updated_since must be RFC 3339"}`, http.StatusBadRequest)
			return
		}
		since = t
	}
	b.mu.Lock()
	var sel []card
	for _, c := range b.cards {
		t, _ := time.Parse(time.RFC3339, c.NgayCapNhat)
		if !t.Before(since) {
			sel = append(sel, c)
		}
	}
	b.mu.Unlock()
	sort.Slice(sel, func(i, j int) bool {
		if sel[i].NgayCapNhat != sel[j].NgayCapNhat {
			return sel[i].NgayCapNhat < sel[j].NgayCapNhat
		}
		return sel[i].MaThe < sel[j].MaThe
	})
	from := min((page-1)*size, len(sel))
	to := min(from+size, len(sel))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"items": sel[from:to]}, "page": page, "total": len(sel)})
}
