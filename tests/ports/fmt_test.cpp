// tests/ports/fmt_test.cpp — gofer::fmt against what Go's fmt prints.
//
// Every case of the table below has a twin of the same name in
// tests/ports/go/fmt_table/main.go, with the Go value that corresponds to the
// C++ one (int ↔ int, int64_t ↔ int64, unsigned char ↔ byte, char32_t ↔
// rune, float ↔ float32, std::pair ↔ an anonymous struct {first; second},
// std::vector ↔ a slice, std::map ↔ a map, errors::New ↔ errors.New, ...).
// The Go program's output, made once with Go 1.19.8, is
// tests/ports/testdata/fmt_go1.19.txt; the test formats each C++ case and
// compares it byte for byte with Go's. The two lists must name the same
// cases, in the same order, so a case added on one side only fails here.
//
// After the table: what Go 1.19 cannot print for comparison (errors.Join and
// several %w are Go 1.20's), what only C++ has (operator<<, std::chrono
// durations, shared_ptr), Errorf's wrapping as errors::Is/As/Unwrap see it,
// and Print*/Fprint* output.
#include "gofer/fmt.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gofer/errors.hpp"
#include "gofer/time.hpp"

namespace {

using gofer::error;
namespace errors = gofer::errors;
namespace fmt = gofer::fmt;
namespace time = gofer::time;

struct tcase {
  std::string name;
  std::string out;
};

std::vector<tcase> cpp_cases() {
  std::vector<tcase> cs;
  auto f = [&cs](std::string name, std::string out) { cs.push_back({std::move(name), std::move(out)}); };
  using fmt::Sprintf;
  using P = std::pair<int, std::string>;

  // ---- integers
  f("int/v", Sprintf("%v", 42));
  f("int/d", Sprintf("%d", -42));
  f("int/+d", Sprintf("%+d", 42));
  f("int/space", Sprintf("% d", 42));
  f("int/5d", Sprintf("[%5d]", 42));
  f("int/-5d", Sprintf("[%-5d]", 42));
  f("int/05d", Sprintf("[%05d]", -42));
  f("int/.3d", Sprintf("[%.3d]", 7));
  f("int/8.3d", Sprintf("[%8.3d]", -7));
  f("int/.0d zero", Sprintf("[%.0d]", 0));
  f("int/x", Sprintf("%x", 255));
  f("int/X", Sprintf("%X", 255));
  f("int/#x", Sprintf("%#x", 255));
  f("int/#X", Sprintf("%#X", 255));
  f("int/x neg", Sprintf("%x", -255));
  f("int/o", Sprintf("%o", 8));
  f("int/#o", Sprintf("%#o", 8));
  f("int/O", Sprintf("%O", 8));
  f("int/b", Sprintf("%b", 5));
  f("int/c", Sprintf("%c", 0x4F60));
  f("int/q", Sprintf("%q", 0x4F60));
  f("int/+q", Sprintf("%+q", 0x4F60));
  f("int/U", Sprintf("%U", 0x4F60));
  f("int/#U", Sprintf("%#U", 0x4F60));
  f("int64/min", Sprintf("%d", std::numeric_limits<std::int64_t>::min()));
  f("int64/max x", Sprintf("%x", std::numeric_limits<std::int64_t>::max()));
  f("uint64/max", Sprintf("%d", std::numeric_limits<std::uint64_t>::max()));
  f("uint64/#b", Sprintf("%#b", std::uint64_t{10}));
  f("int/T", Sprintf("%T", 1));
  f("int64/T", Sprintf("%T", std::int64_t{1}));
  f("uint/T", Sprintf("%T", 1u));
  f("uint64/T", Sprintf("%T", std::uint64_t{1}));
  f("int16/T", Sprintf("%T", std::int16_t{1}));
  f("byte/v", Sprintf("%v", static_cast<unsigned char>('a')));
  f("byte/c", Sprintf("%c", static_cast<unsigned char>('a')));
  f("byte/T", Sprintf("%T", static_cast<unsigned char>('a')));
  f("rune/v", Sprintf("%v", U'z'));
  f("int/s bad", Sprintf("%s", 5));
  f("int/z bad", Sprintf("%z", 5));
  f("int/t bad", Sprintf("%t", 5));
  f("int/10x", Sprintf("[%10x]", 3054));
  f("int/-#10x", Sprintf("[%-#10x]", 3054));
  f("int/08x", Sprintf("[%08x]", 3054));
  f("int/+05d", Sprintf("[%+05d]", 3));

  // ---- floats
  f("float/v", Sprintf("%v", 3.0));
  f("float/v frac", Sprintf("%v", 3.25));
  f("float/v big", Sprintf("%v", 1e21));
  f("float/v small", Sprintf("%v", 1e-7));
  f("float/f", Sprintf("%f", 3.14159265));
  f("float/.2f", Sprintf("%.2f", 3.14159265));
  f("float/8.3f", Sprintf("[%8.3f]", -3.14159265));
  f("float/-8.3f", Sprintf("[%-8.3f]", 3.14159265));
  f("float/08.3f", Sprintf("[%08.3f]", -3.14159265));
  f("float/+.1f", Sprintf("%+.1f", 2.25));
  f("float/.0f", Sprintf("%.0f", 2.5));
  f("float/e", Sprintf("%e", 123456.789));
  f("float/E", Sprintf("%E", 123456.789));
  f("float/.3e", Sprintf("%.3e", 0.000123456));
  f("float/g", Sprintf("%g", 123456.789));
  f("float/g big", Sprintf("%g", 1e100));
  f("float/.3g", Sprintf("%.3g", 123456.789));
  f("float/G", Sprintf("%G", 1e-10));
  f("float/x", Sprintf("%x", 1.0));
  f("float/b", Sprintf("%b", 1.0));
  f("float/NaN", Sprintf("%v", std::nan("")));
  f("float/+Inf", Sprintf("%v", std::numeric_limits<double>::infinity()));
  f("float/-Inf", Sprintf("%f", -std::numeric_limits<double>::infinity()));
  f("float/+Inf 8.2f", Sprintf("[%8.2f]", std::numeric_limits<double>::infinity()));
  f("float/NaN 08.2f", Sprintf("[%08.2f]", std::nan("")));
  f("float/neg zero", Sprintf("%v", std::copysign(0.0, -1.0)));
  f("float32/v", Sprintf("%v", 0.1f));
  f("float32/T", Sprintf("%T", 0.1f));
  f("float64/T", Sprintf("%T", 0.1));
  f("float/#g", Sprintf("%#g", 1.0));
  f("float/d bad", Sprintf("%d", 1.5));
  f("float/6.2f%%", Sprintf("%6.2f%%", 99.5));

  // ---- bool
  f("bool/t", Sprintf("%t", true));
  f("bool/v", Sprintf("%v", false));
  f("bool/6t", Sprintf("[%6t]", true));
  f("bool/d bad", Sprintf("%d", true));
  f("bool/T", Sprintf("%T", true));

  // ---- strings
  f("string/s", Sprintf("%s", "hello"));
  f("string/v", Sprintf("%v", std::string("hello")));
  f("string/q", Sprintf("%q", "hello\n\t\"x\""));
  f("string/+q", Sprintf("%+q", "你好"));
  f("string/#q", Sprintf("%#q", "back`quote"));
  f("string/#q plain", Sprintf("%#q", "plain"));
  f("string/x", Sprintf("%x", "hi"));
  f("string/X", Sprintf("%X", "hi"));
  f("string/ x", Sprintf("% x", "hi!"));
  f("string/#x", Sprintf("%#x", "hi"));
  f("string/10s", Sprintf("[%10s]", "go"));
  f("string/-10s", Sprintf("[%-10s]", "go"));
  f("string/05s", Sprintf("[%05s]", "go"));
  f("string/.3s", Sprintf("[%.3s]", std::string_view("golang")));
  f("string/utf8 s", Sprintf("%s", "你好，世界"));
  f("string/utf8 q", Sprintf("%q", "你好，世界"));
  f("string/utf8 6s", Sprintf("[%6s]", "你好"));
  f("string/utf8 .1s", Sprintf("[%.1s]", "你好"));
  f("string/utf8 x", Sprintf("%x", "你"));
  f("string/bad utf8 q", Sprintf("%q", "a\xff"
                                       "b"));
  f("string/ctrl q", Sprintf("%q", std::string("\x00\x07\x7f", 3)));
  f("string/d bad", Sprintf("%d", "x"));
  f("string/T", Sprintf("%T", "x"));
  f("string/empty", Sprintf("[%s]", ""));
  f("string/c bad", Sprintf("%c", "x"));

  // ---- durations
  f("duration/v", Sprintf("%v", 1500 * time::Millisecond));
  f("duration/s", Sprintf("%s", 100 * time::Millisecond));
  f("duration/d", Sprintf("%d", 1500 * time::Millisecond));
  f("duration/v hms", Sprintf("%v", 2 * time::Hour + 3 * time::Minute + 4 * time::Second));
  f("duration/v zero", Sprintf("%v", time::Duration(0)));
  f("duration/v ns", Sprintf("%v", 42 * time::Nanosecond));
  f("duration/v us", Sprintf("%v", 1500 * time::Nanosecond));
  f("duration/v neg", Sprintf("%v", -90 * time::Second));
  f("duration/T", Sprintf("%T", time::Second));
  f("duration/8v", Sprintf("[%8v]", time::Second));

  // ---- errors
  const error boom = errors::New("boom");
  const error nil_err;
  f("error/v", Sprintf("%v", boom));
  f("error/s", Sprintf("%s", boom));
  f("error/q", Sprintf("%q", boom));
  f("error/T", Sprintf("%T", boom));
  f("error/10v", Sprintf("[%10v]", boom));
  f("error/nil v", Sprintf("%v", nil_err));
  f("error/nil s", Sprintf("%s", nil_err));
  f("error/nil d", Sprintf("%d", nil_err));
  f("error/w outside Errorf", Sprintf("%w", boom));
  f("errorf/w", Sprintf("%v", fmt::Errorf("load %s: %w", "cfg", boom)));
  f("errorf/T w", Sprintf("%T", fmt::Errorf("x: %w", boom)));
  f("errorf/T no w", Sprintf("%T", fmt::Errorf("x: %v", boom)));
  f("errorf/w not error", Sprintf("%v", fmt::Errorf("x: %w", 5)));
  f("errorf/w nil", Sprintf("%v", fmt::Errorf("x: %w", nil_err)));

  // ---- pointers
  f("pointer/nil v", Sprintf("%v", static_cast<int*>(nullptr)));
  f("pointer/nil p", Sprintf("%p", static_cast<int*>(nullptr)));
  f("pointer/nil T", Sprintf("%T", static_cast<int*>(nullptr)));
  f("nil/v", Sprintf("%v", nullptr));
  f("nil/d", Sprintf("%d", nullptr));
  f("nil/T", Sprintf("%T", nullptr));

  // ---- slices, arrays, maps, structs
  f("slice/v", Sprintf("%v", std::vector<int>{1, 2, 3}));
  f("slice/d", Sprintf("%d", std::vector<int>{1, 2, 3}));
  f("slice/x", Sprintf("%x", std::vector<int>{10, 11}));
  f("slice/3d", Sprintf("%3d", std::vector<int>{1, 2}));
  f("slice/empty", Sprintf("%v", std::vector<int>{}));
  f("slice/q", Sprintf("%q", std::vector<std::string>{"a", "b c"}));
  f("slice/s", Sprintf("%s", std::vector<std::string>{"a", "b"}));
  f("slice/T", Sprintf("%T", std::vector<int>{}));
  f("slice/#v", Sprintf("%#v", std::vector<int>{1, 2}));
  f("slice/nested", Sprintf("%v", std::vector<std::vector<int>>{{1}, {2, 3}}));
  const std::vector<unsigned char> hi{'h', 'i'};
  f("bytes/s", Sprintf("%s", hi));
  f("bytes/x", Sprintf("%x", hi));
  f("bytes/v", Sprintf("%v", hi));
  f("bytes/q", Sprintf("%q", hi));
  f("bytes/T", Sprintf("%T", hi));
  f("array/v", Sprintf("%v", std::array<int, 3>{1, 2, 3}));
  f("array/T", Sprintf("%T", std::array<int, 3>{}));
  f("map/v", Sprintf("%v", std::map<std::string, int>{{"b", 2}, {"a", 1}, {"c", 3}}));
  f("map/int keys", Sprintf("%v", std::map<int, std::string>{{3, "c"}, {1, "a"}, {2, "b"}}));
  f("map/T", Sprintf("%T", std::map<std::string, int>{}));
  f("map/#v", Sprintf("%#v", std::map<std::string, int>{{"a", 1}}));
  f("map/empty", Sprintf("%v", std::map<std::string, int>{}));
  f("struct/v", Sprintf("%v", P{1, "x"}));
  f("struct/+v", Sprintf("%+v", P{1, "x"}));
  f("struct/T", Sprintf("%T", P{1, "x"}));
  f("slice of errors", Sprintf("%v", std::vector<error>{boom, nil_err}));

  // ---- the format string itself
  f("percent", Sprintf("100%%"));
  f("missing", Sprintf("%d %d", 5));
  f("extra", Sprintf("%d", 5, 6));
  f("extra two", Sprintf("%d", 5, "x", 1.5));
  f("noverb", Sprintf("abc%"));
  f("star width", Sprintf("[%*d]", 5, 42));
  f("star neg width", Sprintf("[%*d]", -5, 42));
  f("star prec", Sprintf("%.*f", 2, 3.14159));
  f("star bad", Sprintf("%*d", "x", 42));
  f("index", Sprintf("%[2]d %[1]d", 1, 2));
  f("index reuse", Sprintf("%[1]d %[1]x %[1]o", 64));
  f("index bad", Sprintf("%[3]d", 1, 2));
  f("index unclosed", Sprintf("%[1d", 1));
  f("index then plain", Sprintf("%[2]d %d", 1, 2, 3));
  f("width 20", Sprintf("[%20d]", 1));
  f("flags mixed", Sprintf("[%-+8.2f]", 3.14159));
  f("utf8 format text", Sprintf("用户 %s 的年龄是 %d 岁", "张三", 30));
  f("plus v int", Sprintf("%+v", 5));
  f("sharp v string", Sprintf("%#v", "a\"b"));
  f("sharp v int", Sprintf("%#v", 42));
  f("sharp v float", Sprintf("%#v", 1.0));
  f("sharp v bool", Sprintf("%#v", true));

  // ---- Sprint / Sprintln
  f("print/strings", fmt::Sprint("a", "b"));
  f("print/mixed", fmt::Sprint("a", 1, 2, "b", 3.5, true));
  f("print/error", fmt::Sprint(boom, 1));
  f("println/mixed", fmt::Sprintln("a", 1, "b", 2.5));
  f("println/empty", fmt::Sprintln());
  f("println/nil", fmt::Sprintln(nullptr, nil_err));
  return cs;
}

// unhex decodes the Go program's hex column.
std::string unhex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<tcase> go_cases() {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "testdata" / "fmt_go1.19.txt";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<tcase> cs;
  std::string line;
  while (std::getline(in, line)) {
    const auto t1 = line.find('\t');
    const auto t2 = line.find('\t', t1 + 1);
    if (t1 == std::string::npos || t2 == std::string::npos) {
      ADD_FAILURE() << "malformed line in " << path << ": " << line;
      continue;
    }
    cs.push_back({line.substr(0, t1), unhex(line.substr(t1 + 1, t2 - t1 - 1))});
  }
  return cs;
}

TEST(FmtGo, EveryCasePrintsWhatGoPrints) {
  const auto want = go_cases();
  const auto got = cpp_cases();
  ASSERT_GE(want.size(), 150u) << "the Go table was not read";
  ASSERT_EQ(got.size(), want.size()) << "the C++ and Go tables list different cases";
  int mismatches = 0;
  for (std::size_t i = 0; i < got.size(); i++) {
    ASSERT_EQ(got[i].name, want[i].name) << "case " << i << ": the tables are out of step";
    if (got[i].out != want[i].out) {
      mismatches++;
      ADD_FAILURE() << got[i].name << ":\n   gofer: " << fmt::Sprintf("%q", got[i].out)
                    << "\n      Go: " << fmt::Sprintf("%q", want[i].out);
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// ---- beyond Go 1.19's output ---------------------------------------------

TEST(Fmt, ErrorfWrapsForIsAsAndUnwrap) {
  const error base = errors::New("base");
  const error w = fmt::Errorf("ctx: %w", base);
  EXPECT_EQ(w.Error(), "ctx: base");
  EXPECT_TRUE(errors::Is(w, base));
  EXPECT_EQ(errors::Unwrap(w), base);
  const error ww = fmt::Errorf("outer: %w", w);
  EXPECT_TRUE(errors::Is(ww, base));
  EXPECT_EQ(ww.Error(), "outer: ctx: base");
  // %v does not wrap.
  const error v = fmt::Errorf("ctx: %v", base);
  EXPECT_EQ(v.Error(), "ctx: base");
  EXPECT_FALSE(errors::Is(v, base));
  EXPECT_FALSE(errors::Unwrap(v));
}

TEST(Fmt, ErrorfWithSeveralWWrapsThemAllAsGo120) {
  const error a = errors::New("a");
  const error b = errors::New("b");
  const error e = fmt::Errorf("%w and %w", a, b);
  EXPECT_EQ(e.Error(), "a and b");
  EXPECT_TRUE(errors::Is(e, a));
  EXPECT_TRUE(errors::Is(e, b));
  EXPECT_FALSE(errors::Unwrap(e)) << "several %w: Unwrap() error is nil, as in Go 1.20";
  EXPECT_EQ(fmt::Sprintf("%T", e), "*fmt.wrapErrors");
}

TEST(Fmt, JoinPrintsAsGo120) {
  const error e = errors::Join({errors::New("boom"), errors::New("bang")});
  EXPECT_EQ(fmt::Sprintf("%v", e), "boom\nbang");
  EXPECT_EQ(fmt::Sprintf("%T", e), "*errors.joinError");
}

struct point {
  int x, y;
  friend std::ostream& operator<<(std::ostream& os, const point& p) {
    return os << "(" << p.x << "," << p.y << ")";
  }
};

struct celsius {
  double deg;
  std::string String() const { return fmt::Sprintf("%.1f°C", deg); }
};

enum class color { red = 1, green = 2 };
std::ostream& operator<<(std::ostream& os, color c) { return os << (c == color::red ? "red" : "green"); }

TEST(Fmt, CppTypesPrintThroughStringOrOperatorStream) {
  EXPECT_EQ(fmt::Sprintf("%v", point{1, 2}), "(1,2)");
  EXPECT_EQ(fmt::Sprintf("[%8v]", point{1, 2}), "[   (1,2)]");
  EXPECT_EQ(fmt::Sprintf("%s", celsius{21.5}), "21.5°C");
  EXPECT_EQ(fmt::Sprintf("%v", std::vector<celsius>{{1}, {2}}), "[1.0°C 2.0°C]");
  EXPECT_EQ(fmt::Sprintf("%v %d", color::green, color::green), "green 2");
}

TEST(Fmt, StdChronoDurationsPrintAsTimeDuration) {
  using namespace std::chrono_literals;
  EXPECT_EQ(fmt::Sprintf("%v", 250ms), "250ms");
  EXPECT_EQ(fmt::Sprintf("%v", 90min), "1h30m0s");
  EXPECT_EQ(fmt::Sprintf("%v", 3s), "3s");
}

TEST(Fmt, PointersPrintTheirAddress) {
  int x = 0;
  const std::string p = fmt::Sprintf("%p", &x);
  EXPECT_EQ(p.rfind("0x", 0), 0u) << p;
  std::ostringstream want;
  want << static_cast<const void*>(&x);
  EXPECT_EQ(p, want.str());
  EXPECT_EQ(fmt::Sprintf("%v", &x), p);
  auto sp = std::make_shared<int>(1);
  EXPECT_EQ(fmt::Sprintf("%T", sp), "*int");
  EXPECT_EQ(fmt::Sprintf("%v", std::shared_ptr<int>{}), "<nil>");
}

TEST(Fmt, FprintfWritesOnceToTheStreamAndReturnsTheCount) {
  std::ostringstream os;
  auto [n, err] = fmt::Fprintf(os, "%s=%d\n", "x", 42);
  EXPECT_FALSE(err);
  EXPECT_EQ(n, 5);
  EXPECT_EQ(os.str(), "x=42\n");
  auto [n2, err2] = fmt::Fprintln(os, "a", 1);
  EXPECT_FALSE(err2);
  EXPECT_EQ(n2, 4);
  EXPECT_EQ(os.str(), "x=42\na 1\n");
}

TEST(Fmt, PrintfWritesToStdout) {
  testing::internal::CaptureStdout();
  auto [n, err] = fmt::Printf("处理结果: %d\n", 81);
  fmt::Println("done", true);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_FALSE(err);
  EXPECT_EQ(n, static_cast<int>(std::string("处理结果: 81\n").size()));
  EXPECT_EQ(out, "处理结果: 81\ndone true\n");
}

// Go's fmt never panics on a bad format; neither may gofer's: random format
// strings over every verb, flag, width, precision and index form, against
// operands of every kind, must format without throwing (and, under ASan and
// UBSan, without touching memory they should not).
TEST(Fmt, RandomFormatStringsNeverThrow) {
  std::mt19937 rng(20261204);
  const std::string alphabet = "%%%%%%+-# 0123456789.*[]vdsqxXfFeEgGtTpcbouUOw!z";
  const error boom = errors::New("boom");
  const std::vector<int> xs{1, 2, 3};
  const std::map<std::string, int> m{{"a", 1}};
  std::uniform_int_distribution<int> len(0, 12);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::size_t total = 0;
  for (int i = 0; i < 20000; i++) {
    std::string f;
    for (int n = len(rng); n > 0; n--) f.push_back(alphabet[pick(rng)]);
    std::string out;
    ASSERT_NO_THROW(out = fmt::Sprintf(f, 42, "str", -1.5, boom, xs, m, true, std::uint64_t{7}))
        << "format " << f;
    ASSERT_NO_THROW(out += fmt::Sprintf(f)) << "format " << f;
    ASSERT_NO_THROW(out += fmt::Errorf(f, boom, 3).Error()) << "format " << f;
    total += out.size();
  }
  EXPECT_GT(total, 0u);
}

}  // namespace
