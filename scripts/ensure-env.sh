#!/usr/bin/env bash
# Makes this machine ready for the tests (npm test's pretest, .ci/run) and, with --bench NAME, for
# one benchmark (prebench:NAME): the one place that knows what they need outside node_modules.
#   tests:           RabbitMQ on 127.0.0.1:5672 and PostgreSQL on 127.0.0.1:5432 answer (started
#                    here if not); promtool, prometheus, chromium and docker-compose are there.
#   --bench NAME     what `npm run bench:NAME` needs, and only that: RabbitMQ on 127.0.0.1:5672 and
#                    rabbitmqctl on PATH (each run makes its own vhost) for every bench (pipeline,
#                    report, poison, proxy); bench:proxy also wrk (part 1) and nginx (parts 2 and 3);
#                    bench:pipeline and bench:report with --ledger postgres also PostgreSQL on 5432 and
#                    psql (checked, not required: this script cannot see the bench's options).
#                    --bench alone: what every benchmark needs.
# A tool is on PATH, or where its ORDERBRIDGE_<TOOL> variable points (ORDERBRIDGE_CHROMIUM=/opt/
# chromium/chrome; the tests and benchmarks look them up the same way, test/helpers/tools.ts).
# Missing ones are installed with apt-get when running as root; otherwise (or with
# ORDERBRIDGE_NO_INSTALL=1) one line names the command to run, and the script exits 1. Services too
# are started only as root.
# Silent, and a few milliseconds, when all is there: one TCP connect per service, a PATH look-up per
# tool. Messages go to stderr, each prefixed with "ensure-env:".
set -uo pipefail

benches=(pipeline proxy report poison)
usage="usage: scripts/ensure-env.sh [--bench [$(IFS='|'; echo "${benches[*]}")]]"
bench=''
while (($#)); do
  case $1 in
    --bench=*) bench=${1#--bench=} ;;
    --bench) if [[ ${2:-} == [a-z]* ]]; then bench=$2; shift; else bench=all; fi ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { print substr($0, 3) }' "$0"; exit 0 ;;
    *) echo "ensure-env: unknown argument '$1' ($usage)" >&2; exit 2 ;;
  esac
  shift
done
if [[ -n $bench && $bench != all && " ${benches[*]} " != *" $bench "* ]]; then
  echo "ensure-env: no benchmark '$bench' ($usage)" >&2
  exit 2
fi

say() { printf 'ensure-env: %s\n' "$*" >&2; }

# What the commands we name start with: root runs them as they are.
sudo='sudo '
((EUID == 0)) && sudo=''

# The arguments joined by ", ".
list() {
  local joined
  joined=$(printf '%s, ' "$@")
  printf '%s' "${joined%, }"
}

# ---- tools --------------------------------------------------------------------------------------

# Each tool's Debian package (as in test/helpers/tools.ts).
declare -A package=([promtool]=prometheus [prometheus]=prometheus [chromium]=chromium [docker-compose]=docker-compose [wrk]=wrk [nginx]=nginx)
case $bench in
  '') needed=(promtool prometheus chromium docker-compose) ;;
  proxy | all) needed=(wrk nginx) ;;
  *) needed=() ;;
esac

# The tool's ORDERBRIDGE_<TOOL> names an executable (a path, or a command on PATH); else it is on PATH.
# <TOOL> is its name in capitals, - as _ (ORDERBRIDGE_DOCKER_COMPOSE).
have() {
  local variable="ORDERBRIDGE_${1^^}"
  variable=${variable//-/_}
  local command=${!variable:-$1}
  if [[ $command == */* ]]; then [[ -f $command && -x $command ]]; else type -P "$command" >/dev/null; fi
}

missing_tools() {
  local tool
  missing=()
  for tool in "${needed[@]+"${needed[@]}"}"; do have "$tool" || missing+=("$tool"); done
}

# The packages of the missing tools, each once, in the order first needed.
packages_of_missing() {
  local tool p
  packages=()
  for tool in "${missing[@]}"; do
    p=${package[$tool]}
    [[ " ${packages[*]} " == *" $p "* ]] || packages+=("$p")
  done
}

apt_install() {
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/orderbridge-apt.XXXXXX")
  say "installing ${packages[*]} with apt-get (for $(list "${missing[@]}"))"
  local -a apt=(apt-get -y -q -o DPkg::Lock::Timeout=300)
  # Lists may be stale on a fresh machine (404 on a superseded version): update once and retry.
  if DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${packages[@]}" >"$log" 2>&1 \
    || { DEBIAN_FRONTEND=noninteractive "${apt[@]}" update >>"$log" 2>&1 \
      && DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "${packages[@]}" >>"$log" 2>&1; }; then
    rm -f "$log"
    return 0
  fi
  say "apt-get could not install ${packages[*]} (see $log): run \`apt-get update && apt-get install -y ${packages[*]}\`"
  return 1
}

ensure_tools() {
  missing_tools
  ((${#missing[@]} == 0)) && return 0
  packages_of_missing
  local how="run \`${sudo}apt-get install -y ${packages[*]}\`, or point $(list "${missing[@]/#/ORDERBRIDGE_}" | tr a-z- A-Z_) at them"
  if ((EUID != 0)) || [[ -n ${ORDERBRIDGE_NO_INSTALL:-} ]] || ! type -P apt-get >/dev/null; then
    say "$(list "${missing[@]}") not found: $how"
    return 1
  fi
  apt_install || return 1
  hash -r
  missing_tools
  ((${#missing[@]} == 0)) && return 0
  say "${packages[*]} installed, but $(list "${missing[@]}") not on PATH: add /usr/bin and /usr/sbin to PATH, or point $(list "${missing[@]/#/ORDERBRIDGE_}" | tr a-z- A-Z_) at them"
  return 1
}

# ---- services -----------------------------------------------------------------------------------

# Something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp: no process to start).
listening() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits up to $2 seconds for port $1.
wait_for_port() {
  local i
  for ((i = 0; i < $2 * 4; i++)); do
    listening "$1" && return 0
    sleep 0.25
  done
  return 1
}

ensure_rabbitmq() {
  listening 5672 && return 0
  if ! type -P rabbitmq-server >/dev/null; then
    say "RabbitMQ does not answer on 127.0.0.1:5672 and is not installed: run \`${sudo}apt-get install -y rabbitmq-server\`"
    return 1
  fi
  if ((EUID != 0)); then
    say "RabbitMQ does not answer on 127.0.0.1:5672: run \`sudo rabbitmq-server -detached && sudo rabbitmqctl await_startup\`"
    return 1
  fi
  say "RabbitMQ does not answer on 127.0.0.1:5672: starting it (rabbitmq-server -detached)"
  rabbitmq-server -detached >/dev/null 2>&1
  { timeout 120 rabbitmqctl await_startup >/dev/null 2>&1 || true; } && wait_for_port 5672 30 && return 0
  say "RabbitMQ did not start: see /var/log/rabbitmq/, then run \`rabbitmq-server -detached && rabbitmqctl await_startup\`"
  return 1
}

ensure_postgres() {
  listening 5432 && return 0
  local version
  version=$(ls /etc/postgresql 2>/dev/null | head -1)
  if [[ -z $version ]] || ! type -P pg_ctlcluster >/dev/null; then
    say "PostgreSQL does not answer on 127.0.0.1:5432 and is not installed: run \`${sudo}apt-get install -y postgresql\`"
    return 1
  fi
  if ((EUID != 0)); then
    say "PostgreSQL does not answer on 127.0.0.1:5432: run \`sudo pg_ctlcluster --skip-systemctl-redirect $version main start\`"
    return 1
  fi
  say "PostgreSQL does not answer on 127.0.0.1:5432: starting it (pg_ctlcluster $version main start)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1
  wait_for_port 5432 30 && return 0
  say "PostgreSQL did not start: see /var/log/postgresql/, then run \`pg_ctlcluster --skip-systemctl-redirect $version main start\`"
  return 1
}

# The benchmarks make a vhost per run with rabbitmqctl (test/helpers/vhost.ts), also where RabbitMQ
# already answers (started by someone else, or elsewhere): without it they would fail minutes in.
ensure_rabbitmqctl() {
  type -P rabbitmqctl >/dev/null && return 0
  say "rabbitmqctl is not on PATH (the benchmark makes its own vhost with it): run \`${sudo}apt-get install -y rabbitmq-server\`, or add its directory (/usr/sbin) to PATH"
  return 1
}

# The tests make a vhost each through the management API when it answers (test/helpers/vhost.ts),
# else with rabbitmqctl, an Erlang VM per call: the plugin saves minutes. Best effort, never fatal.
ensure_rabbitmq_management() {
  listening 15672 && return 0
  ((EUID == 0)) && type -P rabbitmq-plugins >/dev/null || return 0
  say "enabling RabbitMQ's management plugin (faster vhosts for the tests)"
  rabbitmq-plugins enable --online rabbitmq_management >/dev/null 2>&1 || true
  wait_for_port 15672 30 || say "the management API did not come up: the tests use rabbitmqctl"
  return 0
}

# Tools first: when one is missing and cannot be installed, say so at once.
if [[ -n $bench ]]; then
  ensure_tools && ensure_rabbitmq && ensure_rabbitmqctl || exit 1
  if [[ $bench == pipeline || $bench == report || $bench == all ]]; then
    { ensure_postgres && type -P psql >/dev/null; } ||
      say "(only --ledger postgres needs PostgreSQL and psql: \`${sudo}apt-get install -y postgresql-client\` for psql)"
  fi
else
  ensure_tools && ensure_rabbitmq && ensure_postgres && ensure_rabbitmq_management
fi
