#!/usr/bin/env bash
# The bundle on its own: no project venv on PATH, no Python environment variables.
#   1. `attache --version` prints the package's version
#   2. `attache --sandbox` offscreen shows the window, connects, and exits 0 on SIGTERM; its sandbox,
#      a process of its own (`attache sandbox --stdin-token`), ends with it and leaves no data
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=$PWD/dist/attache/attache
[ -x "$bundle" ] || { echo "smoke test: no $bundle (run packaging/build.sh)" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
clean_env=(env -i HOME="$scratch/home" PATH=/usr/bin:/bin LANG=C.UTF-8 TMPDIR="$scratch" ATTACHE_HOME="$scratch/attache")

version=$("${clean_env[@]}" "$bundle" --version)
expected="attache $(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)"
[ "$version" = "$expected" ] || { echo "smoke test: --version said '$version', expected '$expected'" >&2; exit 1; }
echo "ok: $version"

log=$scratch/window.log
"${clean_env[@]}" QT_QPA_PLATFORM=offscreen "$bundle" --sandbox >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  grep -q "connected to" "$log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
grep -q "connected to" "$log" || { echo "smoke test: the window never connected to the sandbox" >&2; cat "$log" >&2; kill "$pid" 2>/dev/null; exit 1; }
sandbox_pid=""
for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
  tr '\0' ' ' <"/proc/$child/cmdline" | grep -q -- "sandbox .*--stdin-token" && sandbox_pid=$child
done
[ -n "$sandbox_pid" ] || { echo "smoke test: the window's sandbox is not a process of its own" >&2; kill "$pid"; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
if [ "$status" -ne 0 ] || grep -q Traceback "$log"; then
  echo "smoke test: exit status $status after SIGTERM" >&2
  cat "$log" >&2
  exit 1
fi
running() {  # a zombie nobody reaps (PID 1 in a container may not) has ended
  [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}
for _ in $(seq 1 40); do
  running "$sandbox_pid" || break
  sleep 0.25
done
if running "$sandbox_pid"; then
  echo "smoke test: the sandbox (pid $sandbox_pid) outlived the window" >&2
  kill "$sandbox_pid"
  exit 1
fi
left=$(find "$scratch" -maxdepth 1 -name 'attache-*' | head -5)
[ -z "$left" ] || { echo "smoke test: the sandbox left data behind: $left" >&2; exit 1; }
echo "ok: offscreen sandbox window connected and closed on SIGTERM (exit 0); its sandbox process ended with it"
