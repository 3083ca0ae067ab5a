#!/usr/bin/env bash
# The committed tree alone passes its typecheck, unit and component tests: `git archive HEAD` into an
# empty temporary folder (nothing beside it), npm ci there, then npm run typecheck and the unit and
# component projects (component: local sockets, child processes and FAKE servers, nothing from outside:
# it holds the CLI, package and self-contained checks). Proves the repository needs no file from
# outside it (issue 13). CI runs it (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/repo"
git archive HEAD | tar -x -C "$work/repo"
cd "$work/repo"
echo "exported HEAD ($(git -C "$OLDPWD" rev-parse --short HEAD)) to $PWD: $(find . -type f | wc -l) files; beside it: $(ls -A .. | tr '\n' ' ')"
npm ci --no-audit --no-fund --loglevel=error
npm run typecheck
npx vitest run --project unit --project component
