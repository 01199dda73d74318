package demo

import (
	"fmt"
	"os"
	"strings"
)

// TokenEnv is the environment variable the demo configuration reads the
// social insurance API's token from: secrets never go in the file.
const TokenEnv = "LIENTHONG_DEMO_BHXH_TOKEN"

// configYAML syncs the demo departments into the embedded store under
// data/. The justice department is always there; the others are added when
// their systems run.
const configYAML = `# lienthong demo configuration, written by "lienthong demo".
# No national or state DSN: both stores are the embedded SQLite file
# data/lienthong.db beside this file.
data_dir: data
batch:
  size: 500
  period: 2s
departments:
  - name: tu-phap
    title: Sở Tư pháp tỉnh Hà Tĩnh
    sources:
      - name: ho-tich
        kind: sqlite
        # A SQLite path holds no password, so it may be written inline.
        dsn: so-tu-phap-ha-tinh.db
        streams:
          - name: khai-sinh
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            look_back: 10m
            mapping: mappings/khai-sinh.yaml
            page_size: 1000
          - name: cong-dan
            table: khai_sinh
            primary_key: [id]
            cursor: ngay_cap_nhat
            mapping: mappings/cong-dan.yaml
            page_size: 1000
`

// bhxhYAML is the social insurance office: an HTTP API with a bearer token.
const bhxhYAML = `  - name: bhxh
    title: Bảo hiểm xã hội tỉnh Hà Tĩnh
    sources:
      - name: the-bhyt-api
        kind: httpjson
        dsn_env: %s
        options:
          base_url: %s
          allow_networks: [127.0.0.0/8]   # the demo API listens on this machine
          auth: {type: bearer}
          records_path: data.items
          cursor_param: updated_since
          pagination: {type: page, page_param: page, start: 1, size_param: page_size, size: 200}
        streams:
          - name: the-bhyt
            table: the-bhyt
            primary_key: [maThe]
            cursor: ngayCapNhat
            mode: incremental
            mapping: mappings/the-bhyt.yaml
`

// ldtbxhYAML is the labour and social affairs department: CSV exports in
// TCVN3 dropped into a folder, each read once, whole (done markers).
const ldtbxhYAML = `  - name: ld-tbxh
    title: Sở Lao động - Thương binh và Xã hội tỉnh Hà Tĩnh
    sources:
      - name: xuat-file
        kind: file
        options:
          dir: %s
          encoding: auto          # detects TCVN3
          done_suffix: .done
        streams:
          - name: bao-tro
            table: "bao-tro-xa-hoi-*.csv"
            primary_key: [so_dinh_danh]
            mode: incremental
            mapping: mappings/bao-tro.yaml
`

// WriteConfig writes the demo's lienthong.yaml; an empty bhxhURL leaves the
// social insurance office out, withExports the labour department.
func WriteConfig(f Files, bhxhURL string, withExports bool) error {
	var b strings.Builder
	b.WriteString(configYAML)
	if withExports {
		fmt.Fprintf(&b, ldtbxhYAML, DropDir)
	}
	if bhxhURL != "" {
		fmt.Fprintf(&b, bhxhYAML, TokenEnv, bhxhURL)
	}
	return os.WriteFile(f.Config, []byte(b.String()), 0o644)
}
