package demo

// configYAML syncs the demo department into the embedded store under data/.
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
