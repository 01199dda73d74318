package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lienthong/lienthong/connectors"
)

const benchRows = 200_000

// writeBenchCSV writes a civil-status export of benchRows rows, in UTF-8 or
// converted by iconv to another encoding.
func writeBenchCSV(b *testing.B, path, iconvTo string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("so_dk,so_dinh_danh,ho_ten,ngay_sinh,gioi_tinh,noi_sinh,cha,me,ghi_chu\n")
	for i := range benchRows {
		w.WriteString(fmt.Sprintf("%d,0420%08d,Nguyễn Văn Đức %d,%02d/%02d/20%02d,Nam,\"Thạch Hà, Hà Tĩnh\",Nguyễn Văn An,Trần Thị Lan,Khai sinh đúng hạn\n",
			i, i, i, i%28+1, i%12+1, i%25))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if iconvTo != "" {
		utf8, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, iconv(b, iconvTo, string(utf8)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	setAge(b, path, old)
}

// BenchmarkReadCSV reads a 200,000-row file from hashing to the last
// record. "full history" starts from a checkpoint holding the default 100
// files, which every record's Position carries.
func BenchmarkReadCSV(b *testing.B) {
	history := checkpoint{}
	for i := range DefaultHistory {
		history.Read = append(history.Read, fileEntry{SHA256: fmt.Sprintf("%064x", i), Name: fmt.Sprintf("khai-sinh-2024%04d.csv", i),
			Size: 1 << 20, MTime: time.Date(2024, 1, 1, 0, i, 0, 0, time.UTC)})
	}
	tests := []struct {
		name     string
		encoding string
		iconvTo  string
		from     connectors.Checkpoint
	}{
		{"utf-8", "", "", nil},
		{"utf-8 full history", "", "", history.encode()},
		{"tcvn3 detected", "", "TCVN5712-1", nil},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			dir := b.TempDir()
			writeBenchCSV(b, filepath.Join(dir, "khai-sinh-1.csv"), tt.iconvTo)
			opts := map[string]any{}
			if tt.encoding != "" {
				opts["encoding"] = tt.encoding
			}
			src := openSource(b, dir, opts)
			st := stream("khai-sinh-*.csv", "so_dk")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				r, err := src.Read(ctx, connectors.ReadRequest{Stream: st, Mode: connectors.Incremental, From: tt.from})
				if err != nil {
					b.Fatal(err)
				}
				recycle, _ := r.(interface{ Recycle(map[string]any) })
				n := 0
				for {
					rec, err := r.Next(ctx)
					if errors.Is(err, connectors.ErrEndOfStream) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if rec.Problem != nil {
						b.Fatalf("%s: %s", rec.Key, rec.Problem.Message)
					}
					if recycle != nil {
						recycle.Recycle(rec.Fields) // as the engine does once a batch commits
					}
					n++
				}
				r.Close()
				if n != benchRows {
					b.Fatalf("read %d rows", n)
				}
			}
			b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
