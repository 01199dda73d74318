// Command peertap is the Singer tap of the exec connector's conformance
// peer. The "department system" is a JSON file of rows, named by
// PEER_FILE:
//
//	[{"id": 1, "cursor": 10, "name": "...", "place": "..."}, {"id": 6, "cursor": null, ...}]
//
// It writes stream "people": the rows with a cursor after the --state
// bookmark, in (cursor, id) order, with a STATE every 5 records, then every
// row without a cursor, by id, then a last STATE. Without --state it
// writes every row. With --discover it prints its catalog: stream
// "people" with the schema its SCHEMA message gives.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

type row struct {
	ID     int    `json:"id"`
	Cursor *int   `json:"cursor"`
	Name   string `json:"name"`
	Place  string `json:"place"`
}

type bookmark struct {
	Cursor int `json:"cursor"`
	ID     int `json:"id"`
}

type state struct {
	People *bookmark `json:"people,omitempty"`
}

// schema is the JSON Schema of stream "people".
var schema = map[string]any{"type": "object", "properties": map[string]any{
	"id": map[string]any{"type": "integer"}, "updated": map[string]any{"type": []string{"integer", "null"}},
	"name": map[string]any{"type": "string"}, "place": map[string]any{"type": "string"}}}

func main() {
	for _, arg := range os.Args[1:] {
		if arg == "--discover" {
			b, err := json.Marshal(map[string]any{"streams": []any{map[string]any{
				"tap_stream_id": "people", "stream": "people", "key_properties": []string{"id"}, "schema": schema}}})
			check(err)
			os.Stdout.Write(append(b, '\n'))
			return
		}
	}
	var st state
	for i := 1; i < len(os.Args)-1; i++ {
		if os.Args[i] == "--state" {
			b, err := os.ReadFile(os.Args[i+1])
			check(err)
			check(json.Unmarshal(b, &st))
		}
	}
	var rows []row
	b, err := os.ReadFile(os.Getenv("PEER_FILE"))
	if err != nil && !os.IsNotExist(err) {
		check(err)
	}
	if len(b) > 0 {
		check(json.Unmarshal(b, &rows))
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if (a.Cursor == nil) != (b.Cursor == nil) {
			return b.Cursor == nil
		}
		if a.Cursor != nil && *a.Cursor != *b.Cursor {
			return *a.Cursor < *b.Cursor
		}
		return a.ID < b.ID
	})
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	emit := func(v any) {
		b, err := json.Marshal(v)
		check(err)
		out.Write(append(b, '\n'))
	}
	emit(map[string]any{"type": "SCHEMA", "stream": "people", "key_properties": []string{"id"}, "schema": schema})
	sent := 0
	for _, r := range rows {
		if r.Cursor != nil && st.People != nil &&
			(*r.Cursor < st.People.Cursor || *r.Cursor == st.People.Cursor && r.ID <= st.People.ID) {
			continue
		}
		emit(map[string]any{"type": "RECORD", "stream": "people",
			"record": map[string]any{"id": r.ID, "updated": r.Cursor, "name": r.Name, "place": r.Place}})
		if r.Cursor != nil {
			st.People = &bookmark{Cursor: *r.Cursor, ID: r.ID}
		}
		if sent++; sent%5 == 0 {
			emit(map[string]any{"type": "STATE", "value": st})
		}
	}
	emit(map[string]any{"type": "STATE", "value": st})
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "CRITICAL", err)
		os.Exit(2)
	}
}
