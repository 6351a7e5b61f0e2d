#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests and the benchmark: initdb and pg_ctl into DIR,
# reachable from loopback and from 10.231.0.0/16 (the tests' worker hosts in network namespaces),
# password (SCRAM) authentication, TLS offered with a certificate for localhost
# signed by a CA made on the spot (DIR/ca.pem; with openssl), durability off (it holds nothing
# worth keeping) unless --durable is given. The durability settings (fsync, synchronous_commit,
# full_page_writes) are written to postgresql.conf, not the command line, so that ALTER SYSTEM
# can change them while it runs (the pg-scale benchmark measures with them off and on).
#   throwaway-server.sh start DIR [--durable]   prints the connection URL on stdout
#   throwaway-server.sh stop DIR                stops it and removes DIR
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
    if [[ $(id -u) == 0 ]]; then
        chown -R postgres: "$dir"
        runuser -u postgres -- test -r "$dir/pwfile" || {
            echo "throwaway-server: the postgres user cannot reach $dir (a parent folder is private); choose one under /tmp" >&2
            exit 1
        }
    fi
    tls_options=""
    if command -v openssl > /dev/null; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
            -subj "/CN=swift-multiprocessing test CA" > /dev/null 2>&1
        openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" \
            -subj "/CN=localhost" > /dev/null 2>&1
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$dir/san.ext"
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
            -out "$dir/server.crt" -days 2 -extfile "$dir/san.ext" > /dev/null 2>&1
        chmod 600 "$dir/server.key"
        if [[ $(id -u) == 0 ]]; then chown postgres: "$dir/server.key" "$dir/server.crt"; fi
        tls_options="-c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key"
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_server_user "$bin/initdb" -D "$dir/cluster" -U mp --pwfile="$dir/pwfile" --auth=scram-sha-256 \
        -E UTF8 --no-sync > "$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    echo "host all all 10.231.0.0/16 scram-sha-256" >> "$dir/cluster/pg_hba.conf"
    if [[ ${3:-} != --durable ]]; then
        printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >> "$dir/cluster/postgresql.conf"
    fi
    as_server_user "$bin/pg_ctl" -D "$dir/cluster" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses='*' -c max_connections=300 -c dynamic_shared_memory_type=sysv $tls_options" \
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
