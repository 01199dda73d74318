package vn

import (
	"testing"
	"time"
)

// Each benchmark runs on a mix of the shapes department data holds; divide
// ns/op into 1s for values per second on one core.

var benchNames = []string{"Nguyễn Văn An", "  nGUYỄN   thị   minh KHAI ", "đặng văn đức", "TRẦN QUỐC TUẤN"}

func BenchmarkName(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = Name(benchNames[i%len(benchNames)])
	}
}

var benchDates = []string{"01/05/1950", "1990-04-30", "00/00/1950", "12/03/88"}

func BenchmarkParseDate(b *testing.B) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseDate(benchDates[i%len(benchDates)], DateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeTCVN3(b *testing.B) {
	in := []byte(sentencesTCVN3[0])
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(TCVN3, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeVNI(b *testing.B) {
	in := encodeVNI(sentences[0])
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(VNI, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeCP1258(b *testing.B) {
	in := []byte(sentencesCP1258[0])
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(CP1258, in); err != nil {
			b.Fatal(err)
		}
	}
}

var benchPhones = []string{"0912 345 678", "0168 123 4567", "024 3825 1234", "+84912345678"}

func BenchmarkPhone(b *testing.B) {
	asOf := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Phone(benchPhones[i%len(benchPhones)], asOf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseID("042090123456"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSex(b *testing.B) {
	in := []string{"Nam", "Nữ", "1", "nu"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := Sex(in[i%len(in)], "M", "F"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetect(b *testing.B) {
	samples := [][]byte{[]byte(sentencesTCVN3[0]), []byte(sentencesTCVN3[1]), []byte(sentencesTCVN3[2])}
	b.ReportAllocs()
	for b.Loop() {
		Detect(samples)
	}
}
