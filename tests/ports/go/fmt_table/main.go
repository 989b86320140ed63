// Command fmt_table prints what Go's fmt prints for the cases of
// tests/ports/fmt_test.cpp, one line per case:
//
//	<name> TAB <hex of the output's bytes> TAB <strconv.Quote of the output>
//
// The C++ test reads the hex column; the quoted column is for people. The
// output is kept as tests/ports/testdata/fmt_go1.19.txt; regenerate it with
//
//	cd tests/ports/go/fmt_table && go run . > ../../testdata/fmt_go1.19.txt
//
// after adding a case here AND in fmt_test.cpp (the test fails when the two
// lists differ). Go 1.19.8 made the committed file.
package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"
)

type tcase struct {
	name string
	out  string
}

var cases []tcase

// f adds a Sprintf case; p a Sprint case; ln a Sprintln case.
func f(name, format string, a ...any) { cases = append(cases, tcase{name, fmt.Sprintf(format, a...)}) }
func p(name string, a ...any)         { cases = append(cases, tcase{name, fmt.Sprint(a...)}) }
func ln(name string, a ...any)        { cases = append(cases, tcase{name, fmt.Sprintln(a...)}) }


func main() {
	// ---- integers
	f("int/v", "%v", 42)
	f("int/d", "%d", -42)
	f("int/+d", "%+d", 42)
	f("int/space", "% d", 42)
	f("int/5d", "[%5d]", 42)
	f("int/-5d", "[%-5d]", 42)
	f("int/05d", "[%05d]", -42)
	f("int/.3d", "[%.3d]", 7)
	f("int/8.3d", "[%8.3d]", -7)
	f("int/.0d zero", "[%.0d]", 0)
	f("int/x", "%x", 255)
	f("int/X", "%X", 255)
	f("int/#x", "%#x", 255)
	f("int/#X", "%#X", 255)
	f("int/x neg", "%x", -255)
	f("int/o", "%o", 8)
	f("int/#o", "%#o", 8)
	f("int/O", "%O", 8)
	f("int/b", "%b", 5)
	f("int/c", "%c", 0x4F60)
	f("int/q", "%q", 0x4F60)
	f("int/+q", "%+q", 0x4F60)
	f("int/U", "%U", 0x4F60)
	f("int/#U", "%#U", 0x4F60)
	f("int64/min", "%d", int64(math.MinInt64))
	f("int64/max x", "%x", int64(math.MaxInt64))
	f("uint64/max", "%d", uint64(math.MaxUint64))
	f("uint64/#b", "%#b", uint64(10))
	f("int/T", "%T", 1)
	f("int64/T", "%T", int64(1))
	f("uint/T", "%T", uint(1))
	f("uint64/T", "%T", uint64(1))
	f("int16/T", "%T", int16(1))
	f("byte/v", "%v", byte('a'))
	f("byte/c", "%c", byte('a'))
	f("byte/T", "%T", byte('a'))
	f("rune/v", "%v", rune('z'))
	f("int/s bad", "%s", 5)
	f("int/z bad", "%z", 5)
	f("int/t bad", "%t", 5)
	f("int/10x", "[%10x]", 3054)
	f("int/-#10x", "[%-#10x]", 3054)
	f("int/08x", "[%08x]", 3054)
	f("int/+05d", "[%+05d]", 3)

	// ---- floats
	f("float/v", "%v", 3.0)
	f("float/v frac", "%v", 3.25)
	f("float/v big", "%v", 1e21)
	f("float/v small", "%v", 1e-7)
	f("float/f", "%f", 3.14159265)
	f("float/.2f", "%.2f", 3.14159265)
	f("float/8.3f", "[%8.3f]", -3.14159265)
	f("float/-8.3f", "[%-8.3f]", 3.14159265)
	f("float/08.3f", "[%08.3f]", -3.14159265)
	f("float/+.1f", "%+.1f", 2.25)
	f("float/.0f", "%.0f", 2.5)
	f("float/e", "%e", 123456.789)
	f("float/E", "%E", 123456.789)
	f("float/.3e", "%.3e", 0.000123456)
	f("float/g", "%g", 123456.789)
	f("float/g big", "%g", 1e100)
	f("float/.3g", "%.3g", 123456.789)
	f("float/G", "%G", 1e-10)
	f("float/x", "%x", 1.0)
	f("float/b", "%b", 1.0)
	f("float/NaN", "%v", math.NaN())
	f("float/+Inf", "%v", math.Inf(1))
	f("float/-Inf", "%f", math.Inf(-1))
	f("float/+Inf 8.2f", "[%8.2f]", math.Inf(1))
	f("float/NaN 08.2f", "[%08.2f]", math.NaN())
	f("float/neg zero", "%v", math.Copysign(0, -1))
	f("float32/v", "%v", float32(0.1))
	f("float32/T", "%T", float32(0.1))
	f("float64/T", "%T", 0.1)
	f("float/#g", "%#g", 1.0)
	f("float/d bad", "%d", 1.5)
	f("float/6.2f%%", "%6.2f%%", 99.5)

	// ---- bool
	f("bool/t", "%t", true)
	f("bool/v", "%v", false)
	f("bool/6t", "[%6t]", true)
	f("bool/d bad", "%d", true)
	f("bool/T", "%T", true)

	// ---- strings
	f("string/s", "%s", "hello")
	f("string/v", "%v", "hello")
	f("string/q", "%q", "hello\n\t\"x\"")
	f("string/+q", "%+q", "你好")
	f("string/#q", "%#q", "back`quote")
	f("string/#q plain", "%#q", "plain")
	f("string/x", "%x", "hi")
	f("string/X", "%X", "hi")
	f("string/ x", "% x", "hi!")
	f("string/#x", "%#x", "hi")
	f("string/10s", "[%10s]", "go")
	f("string/-10s", "[%-10s]", "go")
	f("string/05s", "[%05s]", "go")
	f("string/.3s", "[%.3s]", "golang")
	f("string/utf8 s", "%s", "你好，世界")
	f("string/utf8 q", "%q", "你好，世界")
	f("string/utf8 6s", "[%6s]", "你好")
	f("string/utf8 .1s", "[%.1s]", "你好")
	f("string/utf8 x", "%x", "你")
	f("string/bad utf8 q", "%q", "a\xffb")
	f("string/ctrl q", "%q", "\x00\x07\x7f")
	f("string/d bad", "%d", "x")
	f("string/T", "%T", "x")
	f("string/empty", "[%s]", "")
	f("string/c bad", "%c", "x")

	// ---- durations
	f("duration/v", "%v", 1500*time.Millisecond)
	f("duration/s", "%s", 100*time.Millisecond)
	f("duration/d", "%d", 1500*time.Millisecond)
	f("duration/v hms", "%v", 2*time.Hour+3*time.Minute+4*time.Second)
	f("duration/v zero", "%v", time.Duration(0))
	f("duration/v ns", "%v", 42*time.Nanosecond)
	f("duration/v us", "%v", 1500*time.Nanosecond)
	f("duration/v neg", "%v", -90*time.Second)
	f("duration/T", "%T", time.Second)
	f("duration/8v", "[%8v]", time.Second)

	// ---- errors
	boom := errors.New("boom")
	var nilErr error
	f("error/v", "%v", boom)
	f("error/s", "%s", boom)
	f("error/q", "%q", boom)
	f("error/T", "%T", boom)
	f("error/10v", "[%10v]", boom)
	f("error/nil v", "%v", nilErr)
	f("error/nil s", "%s", nilErr)
	f("error/nil d", "%d", nilErr)
	f("error/w outside Errorf", "%w", boom)
	f("errorf/w", "%v", fmt.Errorf("load %s: %w", "cfg", boom))
	f("errorf/T w", "%T", fmt.Errorf("x: %w", boom))
	f("errorf/T no w", "%T", fmt.Errorf("x: %v", boom))
	f("errorf/w not error", "%v", fmt.Errorf("x: %w", 5))
	f("errorf/w nil", "%v", fmt.Errorf("x: %w", nilErr))

	// ---- pointers
	f("pointer/nil v", "%v", (*int)(nil))
	f("pointer/nil p", "%p", (*int)(nil))
	f("pointer/nil T", "%T", (*int)(nil))
	f("nil/v", "%v", nil)
	f("nil/d", "%d", nil)
	f("nil/T", "%T", nil)

	// ---- slices, arrays, maps, structs
	f("slice/v", "%v", []int{1, 2, 3})
	f("slice/d", "%d", []int{1, 2, 3})
	f("slice/x", "%x", []int{10, 11})
	f("slice/3d", "%3d", []int{1, 2})
	f("slice/empty", "%v", []int{})
	f("slice/q", "%q", []string{"a", "b c"})
	f("slice/s", "%s", []string{"a", "b"})
	f("slice/T", "%T", []int{})
	f("slice/#v", "%#v", []int{1, 2})
	f("slice/nested", "%v", [][]int{{1}, {2, 3}})
	f("bytes/s", "%s", []byte("hi"))
	f("bytes/x", "%x", []byte("hi"))
	f("bytes/v", "%v", []byte("hi"))
	f("bytes/q", "%q", []byte("hi"))
	f("bytes/T", "%T", []byte("hi"))
	f("array/v", "%v", [3]int{1, 2, 3})
	f("array/T", "%T", [3]int{})
	f("map/v", "%v", map[string]int{"b": 2, "a": 1, "c": 3})
	f("map/int keys", "%v", map[int]string{3: "c", 1: "a", 2: "b"})
	f("map/T", "%T", map[string]int{})
	f("map/#v", "%#v", map[string]int{"a": 1})
	f("map/empty", "%v", map[string]int{})
	f("struct/v", "%v", struct {
		first  int
		second string
	}{1, "x"})
	f("struct/+v", "%+v", struct {
		first  int
		second string
	}{1, "x"})
	f("struct/T", "%T", struct {
		first  int
		second string
	}{1, "x"})
	f("slice of errors", "%v", []error{boom, nil})

	// ---- the format string itself
	f("percent", "100%%")
	f("missing", "%d %d", 5)
	f("extra", "%d", 5, 6)
	f("extra two", "%d", 5, "x", 1.5)
	f("noverb", "abc%")
	f("star width", "[%*d]", 5, 42)
	f("star neg width", "[%*d]", -5, 42)
	f("star prec", "%.*f", 2, 3.14159)
	f("star bad", "%*d", "x", 42)
	f("index", "%[2]d %[1]d", 1, 2)
	f("index reuse", "%[1]d %[1]x %[1]o", 64)
	f("index bad", "%[3]d", 1, 2)
	f("index unclosed", "%[1d", 1)
	f("index then plain", "%[2]d %d", 1, 2, 3)
	f("width 20", "[%20d]", 1)
	f("flags mixed", "[%-+8.2f]", 3.14159)
	f("utf8 format text", "用户 %s 的年龄是 %d 岁", "张三", 30)
	f("plus v int", "%+v", 5)
	f("sharp v string", "%#v", "a\"b")
	f("sharp v int", "%#v", 42)
	f("sharp v float", "%#v", 1.0)
	f("sharp v bool", "%#v", true)

	// ---- Sprint / Sprintln
	p("print/strings", "a", "b")
	p("print/mixed", "a", 1, 2, "b", 3.5, true)
	p("print/error", boom, 1)
	ln("println/mixed", "a", 1, "b", 2.5)
	ln("println/empty")
	ln("println/nil", nil, nilErr)

	w := os.Stdout
	for _, c := range cases {
		fmt.Fprintf(w, "%s\t%s\t%s\n", c.name, hex.EncodeToString([]byte(c.out)), strconv.Quote(c.out))
	}
}
