#!/usr/bin/env bash
# install-deps.sh [build|bench] — install the Debian 12 packages gofer needs,
# only those that are missing (idempotent: a no-op when all are present).
#
#   build  compiler, CMake, Ninja and the libraries the build and tests use
#   bench  build + what the overhead report (`make bench`, the end of
#          `make demo`) needs: Go (its Go column), Boost.Fiber (its Boost.Fiber
#          column), gnuplot (overhead.svg) and python3 (scripts/bench-report.py;
#          a minimal Debian 12 image has none). Go is optional: if it cannot be
#          installed the report is still produced, with Go's column empty.
#          golang.org/x/sync and x/time (Debian's golang-golang-x-*-dev) are
#          for bench/go/patterns, the Go twin of patterns_bench; optional too.
#
# Runs apt-get as root, through sudo when not root. Exits non-zero with a
# message when a required package cannot be installed.
set -euo pipefail

usage() { echo "usage: $0 [build|bench]" ; }
log() { echo "install-deps: $*"; }
warn() { echo "install-deps: warning: $*" >&2; }
die() { echo "install-deps: error: $*" >&2; exit 1; }

build_pkgs=(cmake ninja-build g++ make libboost-context-dev libconcurrentqueue-dev
            libgtest-dev libbenchmark-dev)
required=()
optional=()  # failure to install these is only a warning

case "${1:-build}" in
  build) required=("${build_pkgs[@]}") ;;
  bench) required=("${build_pkgs[@]}" libboost-fiber-dev gnuplot-nox python3)
         optional=(golang-go golang-golang-x-sync-dev golang-golang-x-time-dev) ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
  die "needs dpkg-query and apt-get (Debian/Ubuntu); install these by hand: ${required[*]} ${optional[*]}"

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing_of() {  # prints the packages among "$@" that are not installed
  local p
  for p in "$@"; do is_installed "$p" || echo "$p"; done
}

mapfile -t missing_required < <(missing_of "${required[@]}")
mapfile -t missing_optional < <(missing_of ${optional[@]+"${optional[@]}"})

if (( ${#missing_required[@]} == 0 && ${#missing_optional[@]} == 0 )); then
  exit 0  # everything present: stay quiet
fi

# Privileges: root runs apt-get directly, others go through sudo.
sudo_cmd=()
if (( $(id -u) != 0 )); then
  command -v sudo >/dev/null 2>&1 ||
    die "not root and sudo is not installed; as root run: apt-get install ${missing_required[*]} ${missing_optional[*]}"
  sudo_cmd=(sudo)
fi

apt_get() {
  ${sudo_cmd[@]+"${sudo_cmd[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=300 "$@"
}

updated=0
apt_update_once() {
  (( updated )) && return 0
  updated=1
  log "apt-get update"
  apt_get update -q || warn "apt-get update failed; trying the install with the current package lists"
}

apt_install() {
  apt_update_once
  log "installing: $*"
  apt_get install -y -q --no-install-recommends "$@" </dev/null
}

if (( ${#missing_required[@]} > 0 )); then
  apt_install "${missing_required[@]}" ||
    die "could not install: ${missing_required[*]} (network? permissions?)"
  mapfile -t still < <(missing_of "${missing_required[@]}")
  (( ${#still[@]} == 0 )) || die "still missing after apt-get install: ${still[*]}"
fi

for p in ${missing_optional[@]+"${missing_optional[@]}"}; do
  if ! apt_install "$p" || ! is_installed "$p"; then
    warn "could not install optional package $p; continuing without it"
    [[ $p == golang-go ]] && warn "the benchmark report will leave the Go column empty"
  fi
done

log "done"
