#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL pointing at a PostgreSQL it can use:
#
#   scripts/test-db.sh go test ./store/...
#
# 1. TEST_DATABASE_URL already set: used as is.
# 2. A PostgreSQL answers on 127.0.0.1:5432 (TEST_PG_PROBE_HOST/PORT override
#    the probe) and accepts postgres without a password: that one.
# 3. Otherwise a throw-away cluster from the installed PostgreSQL binaries
#    (/usr/lib/postgresql/*/bin; Debian's postgresql and postgresql-contrib
#    are installed with apt-get when absent and we are root): initdb into a
#    temporary directory, trust auth, a free port on 127.0.0.1, its unix
#    socket in that directory; stopped and removed when the command ends.
#
# With CI=true, IDBRIDGE_REQUIRE_POSTGRES=1 is exported too: the Postgres
# suite then fails instead of skipping when it cannot connect.
set -euo pipefail

if [[ $# -eq 0 ]]; then
	echo "usage: $0 command [args...]" >&2
	exit 2
fi

if [[ "${CI:-}" == "true" ]]; then
	export IDBRIDGE_REQUIRE_POSTGRES=1
fi

log() { echo "test-db: $*" >&2; }

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
	log "using TEST_DATABASE_URL from the environment"
	exec "$@"
fi

probe_host="${TEST_PG_PROBE_HOST:-127.0.0.1}"
probe_port="${TEST_PG_PROBE_PORT:-5432}"

# answers HOST PORT: is a PostgreSQL (or at least something) listening?
answers() {
	if command -v pg_isready >/dev/null; then
		pg_isready -q -h "$1" -p "$2" -t 3
	else
		timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
	fi
}

if answers "$probe_host" "$probe_port"; then
	url="postgres://postgres@${probe_host}:${probe_port}/postgres?sslmode=disable"
	# pg_isready says nothing about authentication: check it when psql is here.
	if ! command -v psql >/dev/null || psql "$url" -Atqc 'select 1' >/dev/null 2>&1; then
		log "using the PostgreSQL on ${probe_host}:${probe_port}"
		export TEST_DATABASE_URL="$url"
		exec "$@"
	fi
	log "PostgreSQL on ${probe_host}:${probe_port} refuses postgres without a password; starting a throw-away cluster"
fi

# pg_bin: the newest installed PostgreSQL bin directory, or nothing.
pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	[[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
	return 0
}

bin=$(pg_bin)
if [[ -z "$bin" ]]; then
	if [[ $(id -u) -ne 0 ]]; then
		log "no PostgreSQL installed and not root: install Debian's postgresql and postgresql-contrib, or set TEST_DATABASE_URL"
		exit 1
	fi
	log "installing postgresql and postgresql-contrib with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq postgresql postgresql-contrib >/dev/null
	bin=$(pg_bin)
	if [[ -z "$bin" ]]; then
		log "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb was found"
		exit 1
	fi
fi

# initdb and postgres refuse to run as root: run them as postgres then.
as_owner=()
if [[ $(id -u) -eq 0 ]]; then
	if ! id postgres >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin postgres
	fi
	as_owner=(runuser -u postgres --)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/idbridge-pg.XXXXXX")
if [[ ${#as_owner[@]} -gt 0 ]]; then
	chown postgres: "$tmp"
fi

# pg runs a PostgreSQL program as the cluster's owner, from inside $tmp so
# that a working directory the owner may not enter (/root/...) is no matter.
pg() { (cd "$tmp" && "${as_owner[@]}" "$@"); }

cleanup() {
	if [[ -f "$tmp/data/postmaster.pid" ]]; then
		pg "$bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg "$bin/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C \
	--no-sync >"$tmp/initdb.log" 2>&1 || {
	cat "$tmp/initdb.log" >&2
	exit 1
}

# free_port: a port on 127.0.0.1 nobody listens on. Another process may take
# it before postgres does, so starting is retried with a new port.
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

started=""
for _ in 1 2 3; do
	port=$(free_port)
	# Durability is not wanted from a cluster that lives for one test run.
	if pg "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -w -t 60 \
		-o "-p $port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
		start >/dev/null; then
		started=1
		break
	fi
done
if [[ -z "$started" ]]; then
	log "could not start PostgreSQL from $bin:"
	cat "$tmp/postgres.log" >&2 || true
	exit 1
fi

log "started a throw-away PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port in $tmp"
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable"

# Not exec: the EXIT trap must stop the cluster when the command ends.
status=0
"$@" || status=$?
exit "$status"
