// Command misbehave is a program for the exec connector's tests that does
// one thing wrong, or one thing in bulk, named by its first argument:
//
//	exit CODE             write a record and stderr lines, then exit with CODE
//	hang PIDFILE          write a record, start a child (also sleeping) in
//	                      the same process group, write both pids to
//	                      PIDFILE, then sleep
//	sleep                 sleep (the child of hang)
//	malformed KIND        write two good records, then a bad line of KIND
//	huge BYTES            write one record line of BYTES bytes
//	stderr                write assorted stderr lines, then one record
//	flood N               write N records with a STATE every 1000
//	echo                  write one record whose fields are the argv, and
//	                      the TAP_PASSWORD variable to stderr, as is and
//	                      JSON-escaped; with BADLINE set write it to stdout
//	                      as a bad line, with FAIL set exit 1
//	nostream              write only records of another stream
//
// Records are of stream "s" with key "id". Flags after these arguments
// (--config, --state) are ignored.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: misbehave SCENARIO [ARG]")
		os.Exit(2)
	}
	arg := ""
	if len(os.Args) > 2 {
		arg = os.Args[2]
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	record := func(id int, extra string) {
		fmt.Fprintf(out, `{"type":"RECORD","stream":"s","record":{"id":%d,"ten":"Lê Văn Thịnh"%s}}`+"\n", id, extra)
	}
	switch os.Args[1] {
	case "exit":
		code, _ := strconv.Atoi(arg)
		record(1, "")
		out.Flush()
		for i := 1; i <= 15; i++ {
			fmt.Fprintf(os.Stderr, "INFO step %d\n", i)
		}
		fmt.Fprintln(os.Stderr, "Traceback (most recent call last):")
		fmt.Fprintln(os.Stderr, "psycopg2.OperationalError: không kết nối được máy chủ")
		os.Exit(code)
	case "hang":
		record(1, "")
		out.Flush()
		self, _ := os.Executable()
		child := exec.Command(self, "sleep")
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := os.WriteFile(arg, []byte(fmt.Sprintf("%d %d", os.Getpid(), child.Process.Pid)), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		time.Sleep(time.Hour)
	case "sleep":
		time.Sleep(time.Hour)
	case "malformed":
		record(1, "")
		record(2, "")
		out.WriteString(badLines[arg] + "\n")
		record(3, "")
	case "huge":
		n, _ := strconv.Atoi(arg)
		const head = `{"type":"RECORD","stream":"s","record":{"id":1,"blob":"`
		out.WriteString(head + strings.Repeat("x", max(0, n-len(head)-3)) + "\"}}\n")
		record(2, "")
	case "stderr":
		fmt.Fprintln(os.Stderr, "INFO đang đọc sổ hộ tịch")
		fmt.Fprintln(os.Stderr, "WARNING thiếu ngày sinh")
		fmt.Fprintln(os.Stderr, "ERROR bản ghi hỏng")
		fmt.Fprintln(os.Stderr, strings.Repeat("dài ", 5000))
		fmt.Fprint(os.Stderr, "no newline at the end")
		record(1, "")
	case "flood":
		n, _ := strconv.Atoi(arg)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(out, `{"type":"RECORD","stream":"s","record":{"id":%d,"ho_ten":"Nguyễn Văn An %d","ngay_sinh":"2001-02-03","so_cccd":"038200%06d","gioi_tinh":"nam","noi_sinh":"Hà Tĩnh"}}`+"\n", i, i, i)
			if i%1000 == 0 {
				fmt.Fprintf(out, `{"type":"STATE","value":{"bookmarks":{"s":%d}}}`+"\n", i)
			}
		}
	case "echo":
		secret := os.Getenv("TAP_PASSWORD")
		argv, _ := json.Marshal(strings.Join(os.Args, " "))
		fmt.Fprintf(out, `{"type":"RECORD","stream":"s","record":{"id":1,"argv":%s}}`+"\n", argv)
		fmt.Fprintln(os.Stderr, "my password is "+secret)
		config, _ := json.Marshal(map[string]string{"password": secret})
		fmt.Fprintf(os.Stderr, "config: %s\n", config)
		if os.Getenv("BADLINE") != "" {
			fmt.Fprintln(out, "password="+secret)
		}
		if os.Getenv("FAIL") != "" {
			out.Flush()
			os.Exit(1)
		}
	case "nostream":
		fmt.Fprintln(out, `{"type":"RECORD","stream":"other","record":{"id":1}}`)
	default:
		fmt.Fprintln(os.Stderr, "unknown scenario", os.Args[1])
		os.Exit(2)
	}
}

var badLines = map[string]string{
	"not-json":     `this is not JSON`,
	"broken-json":  `{"type":"RECORD","stream":"s","record":{"id":3`,
	"no-type":      `{"stream":"s","record":{"id":3}}`,
	"unknown-type": `{"type":"RECORDS","stream":"s","record":{"id":3}}`,
	"no-record":    `{"type":"RECORD","stream":"s"}`,
	"array-record": `{"type":"RECORD","stream":"s","record":[1,2]}`,
	"no-stream":    `{"type":"RECORD","record":{"id":3}}`,
	"missing-key":  `{"type":"RECORD","stream":"s","record":{"ten":"Phạm Thị Hoa"}}`,
	"null-key":     `{"type":"RECORD","stream":"s","record":{"id":null}}`,
	"object-key":   `{"type":"RECORD","stream":"s","record":{"id":{"a":1}}}`,
	"state-no-val": `{"type":"STATE"}`,
	"batch":        `{"type":"BATCH","stream":"s","encoding":{"format":"jsonl"},"manifest":[]}`,
	"json-array":   `[{"type":"RECORD"}]`,
	"two-values":   `{"type":"STATE","value":1} {"type":"STATE","value":2}`,
	"other-no-rec": `{"type":"RECORD","stream":"other","record":"x"}`,
}
