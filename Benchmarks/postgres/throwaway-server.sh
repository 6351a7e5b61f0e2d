#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and the benchmark: initdb and pg_ctl into DIR,
# loopback only, password (SCRAM) authentication, durability off (it holds nothing worth keeping).
#   throwaway-server.sh start DIR   prints the connection URL on stdout
#   throwaway-server.sh stop DIR    stops it and removes DIR
# The server binaries are looked for in $PG_BIN, PATH and /usr/lib/postgresql/*/bin. As root, the
# server runs as the postgres user (PostgreSQL refuses to run as root).
set -euo pipefail
command=${1:?usage: throwaway-server.sh start|stop DIR}
dir=${2:?usage: throwaway-server.sh start|stop DIR}

find_bin() {
    local candidate
    for candidate in ${PG_BIN:-} $(command -v initdb 2>/dev/null | xargs -r dirname) \
                     $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -nr); do
        if [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]]; then
            dirname "$(readlink -f "$candidate/initdb")"
            return 0
        fi
    done
    echo "throwaway-server: no initdb and pg_ctl in \$PG_BIN, PATH or /usr/lib/postgresql/*/bin (on Debian: apt-get install postgresql)" >&2
    return 1
}

as_server_user() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
    bin=$(find_bin)
    rm -rf "$dir"
    mkdir -p "$dir"
    password="mp-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    echo "$password" > "$dir/pwfile"
    if [[ $(id -u) == 0 ]]; then chown -R postgres: "$dir"; fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_server_user "$bin/initdb" -D "$dir/cluster" -U mp --pwfile="$dir/pwfile" --auth=scram-sha-256 \
        -E UTF8 --no-sync > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_server_user "$bin/pg_ctl" -D "$dir/cluster" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c dynamic_shared_memory_type=sysv" \
        start > "$dir/pg_ctl.log" 2>&1 || { cat "$dir/pg_ctl.log" "$dir/server.log" >&2; exit 1; }
    echo "$bin" > "$dir/bin"
    echo "postgres://mp:$password@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
stop)
    if [[ -f "$dir/bin" ]]; then
        as_server_user "$(cat "$dir/bin")/pg_ctl" -D "$dir/cluster" -m immediate stop > /dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: throwaway-server.sh start|stop DIR" >&2
    exit 2
    ;;
esac
