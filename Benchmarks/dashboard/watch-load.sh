#!/usr/bin/env bash
# The dashboard under watch: N headless Chromium browsers keep its page open (each polls once a
# second) while a job of T tasks runs on two worker hosts. Prints the server's CPU (from
# /proc/<pid>/stat, user + system) over the same window with no browser and with N, and the page's
# load time (navigation to the first figures drawn, the page's own performance.now(), real time)
# in 5 loads made while the N browsers watch.
#
# Usage: Benchmarks/dashboard/watch-load.sh [browsers=10] [tasks=100000] [window_seconds=30]
# Needs release builds of mp-postgres and mp-bench-postgres, Debian's chromium and postgresql.
set -euo pipefail
cd "$(dirname "$0")/../.."
browsers=${1:-10}
tasks=${2:-100000}
window=${3:-30}
bin=.build/release
for tool in mp-postgres mp-bench-postgres; do
    [[ -x $bin/$tool ]] || { echo "build it first: swift build -c release --enable-all-traits --product $tool"; exit 1; }
done

work=$(mktemp -d)
pg_dir=/tmp/mp-dash-load-$$   # not under mktemp -d: the postgres user must reach it
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
    wait 2> /dev/null || true
    Benchmarks/postgres/throwaway-server.sh stop "$pg_dir" > /dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
url=$(Benchmarks/postgres/throwaway-server.sh start "$pg_dir")
export MULTIPROCESSING_POSTGRES_URL=$url MP_BENCH_POSTGRES_URL=$url

$bin/mp-postgres dashboard --port 0 --queue load > "$work/dashboard.out" 2> "$work/dashboard.err" &
dashboard=$!
pids+=("$dashboard")
for _ in $(seq 200); do grep -q "listening on" "$work/dashboard.out" && break; sleep 0.1; done
page=$(sed -n 's/^dashboard listening on \([^ ]*\).*/\1/p' "$work/dashboard.out")
[[ -n "$page" ]] || { cat "$work/dashboard.err"; echo "the dashboard did not start"; exit 1; }

# Naps of 1 ms on two hosts of one worker: the job lasts longer than both windows.
$bin/mp-bench-postgres demo --queue load --tasks "$tasks" --nap-ms 1 --hosts 2 > "$work/demo.out" 2>&1 &
pids+=($!)
for _ in $(seq 600); do grep -q "submitted" "$work/demo.out" && break; sleep 0.2; done
grep -q "submitted" "$work/demo.out" || { cat "$work/demo.out"; echo "the job was not submitted"; exit 1; }

ticks=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$dashboard/stat"; }
measure() {   # CPU seconds per second of the dashboard over the window
    local before after
    before=$(cpu); sleep "$window"; after=$(cpu)
    echo "scale=3; ($after - $before) / $ticks / $window" | bc
}
progress() { curl -s "${page}api/jobs" | python3 -c 'import json,sys; j=[x for x in json.load(sys.stdin) if x["total"]>1]; print(j[0]["done"] if j else 0)'; }

echo "== no browser: ${window} s (job at $(progress) of $tasks)"
idle=$(measure)
echo "dashboard CPU: $idle s/s"

echo "== $browsers browsers watching: ${window} s (job at $(progress) of $tasks)"
for i in $(seq "$browsers"); do
    chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/browser-$i" \
        --remote-debugging-port=0 "$page" > /dev/null 2>&1 &
    pids+=($!)
done
sleep 5   # the browsers start
watched=$(measure)
echo "dashboard CPU: $watched s/s"
echo "== page load while they watch (5 loads in one more browser; ms from navigation to the first figures drawn)"
# The page puts that time in its title when opened with ?load-time; the browser's /json/list shows titles.
debug_port=$((9300 + RANDOM % 600))
chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/probe" \
    --remote-debugging-port=$debug_port about:blank > /dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s "http://127.0.0.1:$debug_port/json/version" > /dev/null && break; sleep 0.1; done
for i in $(seq 5); do
    curl -s -X PUT "http://127.0.0.1:$debug_port/json/new?${page}?load-time" > /dev/null
    sleep 3
done
curl -s "http://127.0.0.1:$debug_port/json/list" \
    | python3 -c 'import json, sys; print(" ".join(t["title"].split()[2] for t in json.load(sys.stdin) if t["title"].startswith("first draw")), "ms")'
echo "== curl: / and /api/dashboard (s)"
curl -s -o /dev/null -w "/ %{time_total} s, %{size_download} bytes\n" "$page"
curl -s -o /dev/null -w "/api/dashboard %{time_total} s, %{size_download} bytes\n" "${page}api/dashboard"
echo "job at $(progress) of $tasks; load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
