// Command overhead-go is the Go column of gofer's overhead report
// (scripts/bench-report.py, docs/benchmarks.md): the workloads of
// bench/report/report.hpp with the same semantics, sizes and checks, on
// goroutines, Go channels, select, sync and context (Go 1.19, standard
// library only). The runner builds it with `go build ./report` in bench/go
// and sets GOMAXPROCS to gofer's worker count.
//
//	overhead-go -list        the workloads
//	overhead-go <workload>   one warm-up (per the table), one timed run, and
//	                         one JSON line on stdout, the C++ drivers' format:
//	{"workload":"spawn_join","impl":"go","unit":"ns/op","value":456.1,
//	 "n":100000,"workers":2,"extra":{}}
//
// A failed check prints the reason on stderr and exits 1 before anything is
// printed on stdout. GOFER_BENCH_QUICK=1 selects the quick sizes.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"
)

// extras are additional named figures of one run (timers: latest_wakeup_ms).
type extras map[string]float64

// workloads maps a name of the table to its function: it runs the workload
// of size n once and returns its figure in the workload's unit, calling
// fail on a wrong result.
var workloads = map[string]func(n int64, x extras) float64{}

func register(name string, f func(n int64, x extras) float64) { workloads[name] = f }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "overhead-go: "+format+"\n", args...)
	os.Exit(1)
}

func quick() bool {
	q := os.Getenv("GOFER_BENCH_QUICK")
	return q != "" && q != "0"
}

// sumBelow is 0 + 1 + ... + (n - 1).
func sumBelow(n int64) int64 { return n * (n - 1) / 2 }

// perOp is the elapsed time in nanoseconds per operation.
func perOp(el time.Duration, ops int64) float64 { return float64(el.Nanoseconds()) / float64(ops) }

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-list" {
		for _, s := range specs {
			if workloads[s.name] != nil {
				fmt.Println(s.name)
			}
		}
		return
	}
	var sp *spec
	for i := range specs {
		if len(os.Args) == 2 && specs[i].name == os.Args[1] && workloads[specs[i].name] != nil {
			sp = &specs[i]
		}
	}
	if sp == nil {
		fmt.Fprintln(os.Stderr, "usage: overhead-go -list | <workload>  (GOFER_BENCH_QUICK=1: quick sizes)")
		os.Exit(2)
	}
	f := workloads[sp.name]
	n := sp.n
	if quick() {
		n = sp.nQuick
	}
	switch sp.warm {
	case warmFull:
		f(n, extras{})
	case warmTenth:
		f(n/10, extras{})
	}
	x := extras{}
	value := f(n, x)
	line, err := json.Marshal(struct {
		Workload string  `json:"workload"`
		Impl     string  `json:"impl"`
		Unit     string  `json:"unit"`
		Value    float64 `json:"value"`
		N        int64   `json:"n"`
		Workers  int     `json:"workers"`
		Extra    extras  `json:"extra"`
	}{sp.name, "go", sp.unit, value, n, runtime.GOMAXPROCS(0), x})
	if err != nil {
		fail("%s: %v", sp.name, err)
	}
	fmt.Println(string(line))
}
