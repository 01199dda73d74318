// Package file reads the CSV and Excel (.xlsx) exports a department drops
// into a folder. It registers the connector kind "file" from init.
//
// # Configuration
//
// A stream's table is a file name pattern (a glob, without a directory) in
// the source's folder; its primary_key names header columns. Options set at
// the source level apply to every stream; options.streams.<stream name>
// overrides them for one stream and is the only place snapshot may be set.
//
//	sources:
//	  - name: ho-tich-files
//	    kind: file
//	    options:
//	      dir: drop/tu-phap          # or dsn:; relative to this file's folder
//	      format: auto               # csv, xlsx, or auto: by extension (.csv .txt .tsv / .xlsx .xlsm)
//	      encoding: auto             # or utf-8, utf-16le, utf-16be, windows-1258, tcvn3, vni, viqr
//	      delimiter: auto            # or ",", ";", "|", tab
//	      header: 1                  # the header's line (CSV) or row (xlsx); earlier ones are skipped
//	      sheet: ""                  # xlsx: sheet name, default the first
//	      min_age: 30s               # ready once unmodified this long ...
//	      # done_suffix: .done       # ... or once <name>.done exists (then no min_age)
//	      history: 100               # files remembered by content hash
//	      max_row_bytes: 1048576     # a longer CSV line or record is a malformed row
//	      xlsx_max_unzipped_bytes: 268435456 # a workbook unzipping to more is refused
//	      xlsx_max_rows: 1048576     # a sheet with more rows (from row 1) is refused
//	      xlsx_max_cells: 50000000   # a sheet with more cells is refused
//	      streams:
//	        dan-cu:
//	          format: xlsx
//	          sheet: Danh sách
//	          header: 3
//	          snapshot: true         # each file is a complete export
//	    streams:
//	      - name: khai-sinh          # each file holds new and changed rows
//	        table: "khai-sinh-*.csv"
//	        primary_key: [so_dang_ky]
//	        cursor: ngay_dang_ky     # see Modes
//	        mode: incremental
//	        mapping: mappings/khai-sinh.yaml
//	      - name: dan-cu
//	        table: "dan-cu-*.xlsx"
//	        primary_key: [Số định danh]
//	        mode: full_refresh
//	        mapping: mappings/dan-cu.yaml
//
// Unknown options, and values of the wrong type, are errors naming the
// option. The source's timeout is not used: reads are local file I/O.
//
// # Which files are read
//
// A file matches when its name matches the pattern; hidden files (.name),
// Excel's lock files (~$name) and done markers never do. It is complete
// (ready) when its done marker exists, if done_suffix is set, or else when
// it was last modified at least min_age ago; either way its size and
// modification time must not change while it is hashed and read (a file
// that changes during a read fails the read with ErrChanged and is read
// again, in full, by a later one). Files are read in order of modification
// time, then name; rows in file order.
//
// The folder is opened as an os.Root: a symbolic link that leads outside
// it (directly, through a linked directory or through "..") is never read
// nor hashed; reads log it by name and go on with the other files, and
// Check fails with ErrOutsideLink. A link to another file inside the
// folder is read like that file.
//
// # Modes
//
// Each file is read once. A file is identified by the SHA-256 of its
// content: dropping an identical file again, under any name, reads nothing;
// a changed file is a new file and is read in full.
//
// Incremental (each file is a batch of new or changed rows; the default,
// snapshot: false): every complete file not read before is read, oldest
// first. The stream needs no cursor: the file order is the order. The
// configuration loader still demands one for incremental mode; any header
// column will do, and the connector checks only that the header has it.
//
// Full refresh (snapshot: true): each file is a complete export, so the
// newest complete file is the source's whole content, and the engine marks
// deleted every record the read did not deliver. A full refresh always
// reads the newest complete file in full, even one read before (its rows
// come out unchanged downstream). A snapshot stream refuses incremental
// reads, and a stream that is not declared snapshot refuses full
// refreshes: guessing would delete records. A full refresh with no complete
// file, or whose file can not be read at all, fails rather than delete
// everything. A refresh interrupted in the middle resumes in the file it
// started with, even if a newer one has come; if that file is gone it reads
// the newest from the start. A row a snapshot holds but that is rejected
// (malformed, no key, refused by the mapping) is not delivered either, so
// its record is marked deleted until a corrected export comes.
//
// # Rows and fields
//
// Header names are trimmed and put in NFC; primary_key and cursor names are
// compared in the same form. Fields are header name → string in NFC; an
// empty cell is nil (a CSV file can not tell an empty text from a missing
// value). Values are not trimmed. Columns without a header name are left
// out, unless a row has a value there (a malformed row). Blank lines and
// rows whose cells are all empty are skipped. Record.Key is the primary key
// values joined by "|".
//
// CSV follows RFC 4180 strictly: a field with a delimiter, quote or line
// break is quoted, a quote inside it doubled; the record's line breaks are
// read as "\n". The encoding is, in this order: the byte order mark
// (UTF-8, UTF-16LE, UTF-16BE; it wins over the option), the encoding
// option, or vn.Detect on the first 64 KiB (logged with its confidence,
// with a warning below 0.5). Lines are decoded with vn.Decode. The
// delimiter, unless set, is the one of , ; tab | that splits the header
// and the first 64 KiB into the most rows as wide as the header.
//
// Excel files are read with excelize's streaming row iterator, one row in
// memory at a time. Cells are read as Excel shows them: their number format
// applies (a code formatted 000000000000 keeps its leading zero, a date
// formatted dd/mm/yyyy reads 01/05/2024). Two exceptions: Excel's
// locale-dependent short date and date-time formats come out as yyyy-mm-dd
// (hh:mm), and a number shown in scientific notation (4.21E+10) is written
// out in full from the stored value, since such a number is most often an
// ID. A formula cell reads its cached value. A row may leave out its empty
// trailing cells.
//
// A workbook that unzips to more than xlsx_max_unzipped_bytes is refused
// when opened, before anything is inflated; a sheet with more rows than
// xlsx_max_rows or more cells than xlsx_max_cells when the read passes
// the limit. The read fails with ErrTooLarge naming the file and the
// limit, and the file is not counted as read: it waits for the operator.
//
// # Rows that can not be read
//
// A row that can not be read becomes a record with a Problem, which the
// engine rejects while the rest of the file syncs:
//
//   - malformed_row: a field count that differs from the header's, a quote
//     in an unquoted field, a closing quote followed by something other
//     than the delimiter, a quoted field never closed (parsing goes on at
//     the next line, so one stray quote costs one row), bytes that are not
//     text in the file's encoding, a line over max_row_bytes. Key is
//     "<file>:<line>", Fields holds the row's text as "_raw", the message
//     says "<file> line N: ...".
//   - missing_key: a primary key column is empty. Key is "<file>:<line>",
//     Fields the row's fields, Problem.Field the column.
//   - malformed_file: a file that can not be read at all (no header line,
//     a key column missing from the header, a column named twice, a sheet
//     that does not exist, not an xlsx file). One record keyed by the file
//     name; the file counts as read, so the department fixes it by dropping
//     a corrected file. In a full refresh it fails the read instead.
//
// # Checkpoints
//
// A checkpoint is a JSON object; absent fields are omitted:
//
//	{
//	  "read": [
//	    {"sha256": "9f86d081…", "name": "khai-sinh-20240501.csv", "size": 52311,
//	     "mtime": "2024-05-01T10:02:11.5Z"}
//	  ],
//	  "horizon": "2024-01-31T17:00:00Z",
//	  "reading": {"sha256": "2c26b46b…", "name": "khai-sinh-20240502.csv", "row": 1200}
//	}
//
// read is the history: the files read to the end, by modification time,
// at most history of them. A file in the folder with a history entry's
// name, size and modification time is not even hashed again. When the
// history is full the oldest entry is dropped and horizon moves up to its
// modification time: a file modified at or before the horizon counts as
// read without being hashed. This keeps the checkpoint bounded whatever
// the folder holds, at a cost: a file that arrives with a modification
// time older than the horizon (copied with its old timestamp) is not read,
// and an old file dropped again with a new timestamp is read again once
// the history has forgotten it. Raise history if departments do either.
//
// reading is the file being read: its content hash and the number of rows
// (records, including rejected ones, not lines) already delivered. Every
// record's Position is the checkpoint with reading at that record, except
// a file's last record, whose Position has the file in read instead; so a
// run killed in the middle of a file resumes after the last committed row,
// and one killed after it does not read it again. The next read finishes
// that file before any other. A position in a file that is gone or changed
// is dropped with a warning.
//
// A position holds the whole history (about 175 bytes per entry, some 18 KB
// with the default 100), so records carry it as a PositionFunc: it is
// encoded only for the records whose position is kept (the last of each
// batch), not for every row.
//
// A full refresh's positions carry only reading, and its Final only the
// snapshot read (in read).
//
// # Optional interfaces
//
// Source implements connectors.ColumnLister: the header of the newest
// complete file matching the pattern, as records name their fields.
//
// Source implements connectors.Discoverer: files are grouped by their
// name with digit runs replaced by * (khai-sinh-20240501.csv gives
// khai-sinh-*.csv, the stream's name and table); the newest file of each
// group gives the columns, their types guessed from 1000 rows (integer,
// decimal, date, datetime, text; digits with a leading zero are text), a
// suggested key (the first column named like id, mã or số whose sampled
// values are all present and distinct) and an estimated row count.
// DiscoverFiles adds the encoding and the confidence of its detection, the
// delimiter and the sheet, which StreamInfo has no field for.
//
// # Must not
//
// The package must not write, move or delete anything in the drop folder
// (it is the department's), must not hold more than one row of a file (and
// the detection sample) in memory, and must not read a file before it is
// complete.
package file
