#!/bin/sh
# bench/run.sh BUILD_DIR — delphi's benchmarks (`make bench`). Figures and targets are printed,
# never asserted.
#
# Each benchmark is a section: a shell function bench_NAME below, run in the order of SECTIONS
# (override with BENCH_SECTIONS="aggregate ..." in the environment). To add one, write its
# function and append its name to SECTIONS.
#
# Generated data is cached in build/bench/, keyed by the generator's version, so re-runs skip
# the generation (delete build/bench/ to force it).
set -eu
B=${1:-build/release}
CACHE=build/bench
SECTIONS=${BENCH_SECTIONS:-aggregate writer load}

# The aggregation of round 2 of a synthetic NISTEP-scale survey (bench/gen_survey.c,
# bench/aggregate_bench.c): 1,000 topics in 8 fields, 5,000 experts in round 1, 2,500 in round 2.
bench_aggregate() {
  mkdir -p "$CACHE"
  db="$CACHE/nistep-v$("$B/bench/gen_survey" --version).db"
  if [ ! -f "$db" ]; then
    echo "== aggregate: generating $db (once; cached for later runs)"
    rm -f "$db-wal" "$db-shm"
    "$B/bench/gen_survey" "$db"
  fi
  echo "== aggregate: $db"
  "$B/bench/aggregate_bench" "$db" --runs 3
}

# Group-commit writer: jobs/s, durability normal vs full, 1 vs 8 producers (bench/writer_bench.c).
bench_writer() {
  mkdir -p "$CACHE"
  echo "== writer: group commit"
  "$B/bench/writer_bench" --dir "$CACHE" --seconds 1 --jobs 100000
}

# HTTPS load: experts saving answers (wrk, PUT /api/v1/answers/{topic}) against lighttpd with
# mod_mbedtls serving a static file of the same size; idle-connection memory (bench/load.sh).
bench_load() {
  sh bench/load.sh "$B"
}

for s in $SECTIONS; do
  "bench_$s"
done
