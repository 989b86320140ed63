module gofer/bench/patterns

go 1.19

require (
	golang.org/x/sync v0.1.0
	golang.org/x/time v0.3.0
)

// Debian's golang-golang-x-sync-dev and golang-golang-x-time-dev (no network
// needed): scripts/install-deps.sh bench installs them.
replace (
	golang.org/x/sync => /usr/share/gocode/src/golang.org/x/sync
	golang.org/x/time => /usr/share/gocode/src/golang.org/x/time
)
