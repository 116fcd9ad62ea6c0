#!/bin/sh
# What the fuzz targets need (clang with libFuzzer and the sanitizers): see tools/install-deps.sh.
exec sh "$(dirname "$0")/install-deps.sh" build fuzz
