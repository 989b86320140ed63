# gofer — front door over CMakePresets.json.
#
#   make demo          Release build, every example, then the quick overhead
#                      report's table (the main job)
#   make test          release suite + install test + ASan/UBSan suite
#   make test-tsan     TSan suite
#   make install-test  install the release build, build and run a consumer of it
#   make bench         Release build, then the full overhead report: fiber vs
#                      thread vs Go vs Boost.Fiber (build/bench-report/)
#   make format        clang-format the sources in place
#   make clean         remove build/
#
# Every target first installs the Debian packages it needs when they are
# missing (scripts/install-deps.sh), so a fresh Debian 12 needs nothing else.
# JOBS=<n> sets build and ctest parallelism (default 2).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
JOBS ?= 2

DEPS := scripts/install-deps.sh
INSTALL_TEST_DIR := $(CURDIR)/build/install-test
INSTALL_TEST_PREFIX := $(INSTALL_TEST_DIR)/prefix

.PHONY: demo test test-tsan install-test bench format clean

# $(call preset_build,<preset>): configure and build one CMake preset.
define preset_build
	cmake --preset $(1)
	cmake --build --preset $(1) -j $(JOBS)
endef

# $(call no_aslr,<command>): run <command> with ASLR disabled (setarch -R).
# Sanitizer runtimes in gcc 12 / clang 14 need a fixed memory layout that
# kernels with high mmap entropy (vm.mmap_rnd_bits > 28) break. Where
# personality(2) is forbidden (some containers) run it as is, with a warning.
define no_aslr
	if setarch "$$(uname -m)" -R true >/dev/null 2>&1; then \
	  setarch "$$(uname -m)" -R $(1); \
	else \
	  echo "warning: setarch -R unavailable; running with ASLR on" >&2; \
	  $(1); \
	fi
endef

demo:
	@bash $(DEPS) build
	$(call preset_build,release)
	@LC_ALL=C; found=0; \
	for exe in build/release/example_*; do \
	  [[ -f "$$exe" && -x "$$exe" ]] || continue; \
	  found=1; \
	  echo "== $$(basename "$$exe") =="; \
	  "$$exe" || { rc=$$?; echo "demo: $$(basename "$$exe") failed (exit $$rc)" >&2; exit 1; }; \
	done; \
	(( found )) || echo "demo: no examples were built" >&2
	@echo "== demo: the examples ran; now the quick overhead report (docs/benchmarks.md) =="
	@# Go, Boost.Fiber, gnuplot and python3 for the report; reconfigure when the
	@# Boost.Fiber driver is missing, so that a Boost.Fiber installed just now
	@# gets it. A failure from here on leaves the examples' result standing.
	@bash $(DEPS) bench || echo "demo: warning: could not install the report's packages; running it with what is there" >&2
	@[[ -x build/release/overhead_boostfiber ]] || \
	  { cmake --preset release >/dev/null && cmake --build --preset release -j $(JOBS); } || \
	  { echo "demo: rebuilding for the report failed (the examples above ran)" >&2; exit 1; }
	@GOFER_BENCH_QUICK=1 python3 scripts/bench-report.py || \
	  { rc=$$?; echo "demo: the quick overhead report failed (exit $$rc); the examples above ran" >&2; exit $$rc; }

test:
	@bash $(DEPS) build
	$(call preset_build,release)
	ctest --preset release -j $(JOBS)
	@$(MAKE) --no-print-directory install-test
	$(call preset_build,asan)
	@$(call no_aslr,ctest --preset asan -j $(JOBS))
	@echo "== make test: PASSED (release suite, install test, asan+ubsan suite with GOFER_TEST_SHORT=1) =="

test-tsan:
	@bash $(DEPS) build
	$(call preset_build,tsan)
	@$(call no_aslr,ctest --preset tsan -j $(JOBS))
	@echo "== make test-tsan: PASSED (tsan suite with GOFER_TEST_SHORT=1) =="

install-test:
	@bash $(DEPS) build
	$(call preset_build,release)
	rm -rf "$(INSTALL_TEST_DIR)"
	cmake --install build/release --prefix "$(INSTALL_TEST_PREFIX)"
	cmake -S tests/install/consumer -B "$(INSTALL_TEST_DIR)/consumer" -G Ninja \
	  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$(INSTALL_TEST_PREFIX)"
	cmake --build "$(INSTALL_TEST_DIR)/consumer" -j $(JOBS)
	"$(INSTALL_TEST_DIR)/consumer/consumer"
	@echo "== install-test: PASSED =="

# bench: the full overhead report (scripts/bench-report.py, docs/benchmarks.md):
# every workload on gofer, std::thread, Go and Boost.Fiber, 5 alternating
# runs each; GOFER_BENCH_QUICK=1 for the quick one. The Google Benchmark
# suites (build/release/*_bench) are run by hand (bench/README.md).
bench:
	@bash $(DEPS) bench
	$(call preset_build,release)
	@python3 scripts/bench-report.py

format:
	@command -v clang-format >/dev/null || { echo "format: clang-format not found (apt-get install clang-format)" >&2; exit 1; }
	@dirs=(); for d in runtime patterns tests examples bench; do [[ -d $$d ]] && dirs+=("$$d"); done; \
	(( $${#dirs[@]} )) || exit 0; \
	find "$${dirs[@]}" -type f \( -name '*.cpp' -o -name '*.hpp' \) -print0 | xargs -0 -r clang-format -i

clean:
	rm -rf build
