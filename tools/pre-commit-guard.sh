#!/bin/sh
# The pre-commit framework's entry for the `sealops-guard` hook (see .pre-commit-hooks.yaml).
#
# Why a script and not `language: node`: pre-commit installs a node hook repository with
# `npm install -g git+file://…`, and npm builds a git package that has a build step in a nested
# install that inherits `--global`, so the package's own dependencies (TypeScript among them) are
# never installed where its build runs (npm/cli#8440) and the install fails. So this script
# builds sealops once, inside pre-commit's private clone of this repository, from the lock file
# (`npm ci`, no install scripts), and then runs the guard in the repository being committed to.
set -eu
repo=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
cli="$repo/dist/cli/sealops.js"
if [ ! -f "$cli" ]; then
  lock="$repo/.sealops-build.lock"
  # One build at a time (two commits may start at once); mkdir is atomic.
  tries=0
  until mkdir "$lock" 2>/dev/null; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ]; then
      echo "sealops: error: failed to build the guard: $lock has been held for 10 minutes; remove it if no build is running" >&2
      exit 2
    fi
    sleep 1
  done
  trap 'rmdir "$lock"' EXIT INT TERM
  if [ ! -f "$cli" ]; then
    echo "sealops: building the guard once in $repo (npm ci, tsc)" >&2
    # git exports GIT_INDEX_FILE and friends to hooks; they belong to the commit, not to this build.
    if ! (cd "$repo" && env -u GIT_DIR -u GIT_INDEX_FILE -u GIT_WORK_TREE npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2 \
      && node node_modules/typescript/bin/tsc -p tsconfig.json >&2); then
      rm -rf "$repo/dist"
      echo "sealops: error: failed to build the guard in $repo (needs node >= 20.19 and npm with access to the registry)" >&2
      exit 2
    fi
  fi
  rmdir "$lock"
  trap - EXIT INT TERM
fi
exec node "$cli" scan --staged "$@"
