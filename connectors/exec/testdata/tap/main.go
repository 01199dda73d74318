// Command tap is a small Singer tap for the exec connector's tests. It has
// two streams, khai_sinh (births) and ho_tich (civil-status events),
// interleaved, with a STATE message every state_every records of either.
// It resumes from --state and supports --discover.
//
// Its --config file says what to do:
//
//	{"births": 10, "events": 4, "state_every": 3, "fail_after": 0, "password": "..."}
//
// With TAP_REPORT set it writes a JSON report of what it was given (argv,
// its /proc cmdline, the secret variable, the config and state files) to
// that path, for the tests to inspect.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

type config struct {
	Births     int    `json:"births"`
	Events     int    `json:"events"`
	StateEvery int    `json:"state_every"`
	FailAfter  int    `json:"fail_after"`
	Password   string `json:"password"`
}

type bookmarks struct {
	Bookmarks map[string]int `json:"bookmarks"`
}

func main() {
	var configPath, statePath, catalogPath string
	discover := false
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--config":
			i++
			configPath = args[i]
		case "--state":
			i++
			statePath = args[i]
		case "--catalog":
			i++
			catalogPath = args[i]
		case "--discover":
			discover = true
		}
	}
	cfg := config{Births: 5, Events: 2, StateEvery: 2}
	var configText, stateText []byte
	if configPath != "" {
		var err error
		if configText, err = os.ReadFile(configPath); err != nil {
			fatal(err)
		}
		if err := json.Unmarshal(configText, &cfg); err != nil {
			fatal(err)
		}
	}
	state := bookmarks{Bookmarks: map[string]int{}}
	if statePath != "" {
		var err error
		if stateText, err = os.ReadFile(statePath); err != nil {
			fatal(err)
		}
		if err := json.Unmarshal(stateText, &state); err != nil {
			fatal(fmt.Errorf("bad --state file: %v", err))
		}
	}
	if path := os.Getenv("TAP_REPORT"); path != "" {
		cmdline, _ := os.ReadFile("/proc/self/cmdline")
		fi, _ := os.Stat(configPath)
		var mode string
		if fi != nil {
			mode = fi.Mode().Perm().String()
		}
		report := map[string]any{
			"argv": os.Args, "cmdline": strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"),
			"secret_env": os.Getenv("TAP_PASSWORD"), "default_secret_env": os.Getenv("LIENTHONG_SECRET"),
			"config": string(configText), "config_path": configPath, "config_mode": mode,
			"state": string(stateText), "catalog": catalogPath, "discover": discover,
			"stream": os.Getenv("LIENTHONG_STREAM"), "mode": os.Getenv("LIENTHONG_MODE"),
			"home_set": os.Getenv("HOME") != "", "leak": os.Getenv("TAP_LEAK"), "greeting": os.Getenv("TAP_GREETING"),
		}
		b, _ := json.Marshal(report)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			fatal(err)
		}
	}
	if discover {
		fmt.Println(catalog)
		return
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	emit := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			fatal(err)
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	fmt.Fprintln(os.Stderr, "INFO starting sync from", string(stateText))
	emit(map[string]any{"type": "SCHEMA", "stream": "khai_sinh", "key_properties": []string{"so_dang_ky"},
		"bookmark_properties": []string{"so_dang_ky"}, "schema": json.RawMessage(birthSchema)})
	emit(map[string]any{"type": "SCHEMA", "stream": "ho_tich", "key_properties": []string{"loai", "so"},
		"schema": json.RawMessage(`{"type":"object","properties":{"loai":{"type":"string"},"so":{"type":"integer"},"ghi_chu":{"type":["null","string"]}}}`)})
	sent := 0
	b, e := state.Bookmarks["khai_sinh"], state.Bookmarks["ho_tich"]
	for b < cfg.Births || e < cfg.Events {
		if b < cfg.Births {
			b++
			day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, b)
			emit(map[string]any{"type": "RECORD", "stream": "khai_sinh", "time_extracted": "2024-06-01T00:00:00Z",
				"record": map[string]any{
					"so_dang_ky": fmt.Sprintf("KS-%04d", b), "ho_ten": fmt.Sprintf("Nguyễn Thị Ánh Tuyết %d", b),
					"ngay_sinh": day.Format(time.DateOnly), "cap_nhat": day.Add(7 * time.Hour).Format(time.RFC3339),
					"noi_sinh": "Xã Cẩm Xuyên, Hà Tĩnh", "can_nang": 3.25, "so_cccd": 38200000000 + b,
					"cha_me": map[string]any{"me": "Trần Thị Ơn"}, "ghi_chu": nil,
				}})
			sent++
			if sent%cfg.StateEvery == 0 {
				emit(map[string]any{"type": "STATE", "value": bookmarks{map[string]int{"khai_sinh": b, "ho_tich": e}}})
			}
			if cfg.FailAfter > 0 && sent == cfg.FailAfter {
				w.Flush()
				fmt.Fprintln(os.Stderr, "CRITICAL lost the connection to the department database")
				os.Exit(3)
			}
		}
		if e < cfg.Events {
			e++
			emit(map[string]any{"type": "RECORD", "stream": "ho_tich",
				"record": map[string]any{"loai": "kết hôn", "so": e, "ghi_chu": "Đăng ký lần đầu"}})
			sent++
			if sent%cfg.StateEvery == 0 {
				emit(map[string]any{"type": "STATE", "value": bookmarks{map[string]int{"khai_sinh": b, "ho_tich": e}}})
			}
		}
	}
	emit(map[string]any{"type": "STATE", "value": bookmarks{map[string]int{"khai_sinh": b, "ho_tich": e}}})
	fmt.Fprintln(os.Stderr, "INFO sync done")
}

const birthSchema = `{"type":"object","properties":{
	"so_dang_ky":{"type":"string"},
	"ho_ten":{"type":"string"},
	"ngay_sinh":{"type":["null","string"],"format":"date"},
	"cap_nhat":{"anyOf":[{"type":"string","format":"date-time"},{"type":"null"}]},
	"noi_sinh":{"type":"string"},
	"can_nang":{"type":"number"},
	"so_cccd":{"type":"integer"},
	"cha_me":{"type":"object"},
	"ghi_chu":{"type":["null","string"]}}}`

var catalog = `{"streams":[
{"tap_stream_id":"khai_sinh","stream":"khai_sinh","key_properties":["so_dang_ky"],"replication_key":"cap_nhat","schema":` + birthSchema + `},
{"tap_stream_id":"ho_tich","stream":"ho_tich","schema":{"type":"object","properties":{"loai":{"type":"string"},"so":{"type":"integer"}}},
 "metadata":[{"breadcrumb":[],"metadata":{"table-key-properties":["loai","so"],"valid-replication-keys":["so"]}},
             {"breadcrumb":["properties","so"],"metadata":{"inclusion":"automatic"}}]}]}`

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "CRITICAL", err)
	os.Exit(2)
}
