package main

// spec is one row of the workload table: the name, the unit of the figure,
// the size n (tasks, round trips, items, yields or locks per task, rounds,
// jobs) in full and in quick mode (GOFER_BENCH_QUICK=1), and how the
// workload warms up. Keep equal to kSpecs in bench/report/report.hpp (the
// C++ table also has the std::thread sizes, which Go does not need); the
// runner checks that every implementation reports the same n.
type spec struct {
	name   string
	unit   string
	n      int64
	nQuick int64
	warm   warmup
}

type warmup int

const (
	warmFull  warmup = iota // one untimed run of the full size (free lists, stack cache)
	warmTenth               // one untimed run of a tenth of the size
	warmNone                // parked_memory: a cold burst is what it measures
)

var specs = []spec{
	{"spawn_join", "ns/op", 100_000, 10_000, warmFull},
	{"skynet", "ms", 1_000_000, 100_000, warmFull},
	{"pingpong_unbuffered", "ns/op", 1_000_000, 100_000, warmTenth},
	{"chan_buffered_mpmc", "ns/op", 10_000_000, 1_000_000, warmTenth},
	{"select2", "ns/op", 1_000_000, 100_000, warmTenth},
	{"yield", "ns/op", 1_000_000, 100_000, warmTenth},
	{"parked_memory", "KiB/task", 100_000, 10_000, warmNone},
	{"timers", "ms", 100_000, 10_000, warmFull},
	{"mutex_contention", "ns/op", 100_000, 10_000, warmTenth},
	{"waitgroup", "ns/op", 10_000, 1_000, warmTenth},
	{"context_cancel", "ns/op", 100_000, 10_000, warmFull},
	{"worker_pool", "ns/op", 1_000_000, 100_000, warmTenth},
}

// Fixed shapes of the workloads (not scaled by quick mode), as in report.hpp.
const (
	mpmcProducers  = 4    // and as many consumers
	mpmcCap        = 1024 // chan_buffered_mpmc capacity
	mutexTasks     = 8    // mutex_contention goroutines
	waitGroupTasks = 8    // waitgroup: goroutines per fork/join round
	skynetDiv      = 10   // skynet: children per node
	poolWorkers    = 5    // worker_pool: the article's NewWorkerPool(5, 100)
	poolQueue      = 100  // worker_pool queue size
)
