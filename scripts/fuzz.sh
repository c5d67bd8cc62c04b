#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/) for a bounded time each, with the pinned
# nightly. Installs cargo-fuzz with cargo if it is missing.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     # default 60
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (once)" >&2
  cargo install cargo-fuzz --locked >&2
fi
cd fuzz
for target in $(cargo fuzz list); do
  echo "== fuzz $target for ${seconds}s"
  # -rss_limit_mb: a leak or a blow-up fails the run; the corpus stays in fuzz/corpus/
  cargo fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|INFO: Done|SUMMARY|ERROR)' || true
  # cargo fuzz exits non-zero on a crash; with `| grep` above, check the artifacts.
  if compgen -G "artifacts/$target/*" >/dev/null; then
    echo "fuzz: $target found a failing input: fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
