#!/bin/sh
# What the load benchmark needs (wrk, lighttpd with mod_mbedtls): see tools/install-deps.sh.
exec sh "$(dirname "$0")/install-deps.sh" build bench
