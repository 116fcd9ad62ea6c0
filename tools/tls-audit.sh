#!/bin/sh
# make tls-audit: Debian's testssl.sh (package testssl.sh) against `delphi serve` on loopback.
#
#   sh tools/tls-audit.sh [BUILD_DIR]            default build/release; uses BUILD_DIR/delphi
#   TLS_AUDIT_SELF_SIGNED=1 sh tools/tls-audit.sh   audit the certificate delphi makes itself
#
# The server runs on 127.0.0.1 (port 0) with a certificate issued for this audit by a throwaway CA
# (ECDSA P-256, 90 days, subjectAltName localhost and 127.0.0.1, served with its chain), which
# testssl is told to trust (--add-ca): the audit is of the server's TLS and HTTP configuration,
# not of a certificate bought for production. testssl's JSON (--jsonfile) is then judged:
# every finding rated WARN, LOW, MEDIUM, HIGH or CRITICAL fails the audit unless it is on the
# list below, each with the reason it is expected on loopback. OK, INFO and DEBUG pass.
#
#   engine_problem       WARN   the scanning OpenSSL has no GOST engine: about the scanner
#   cert_revocation      HIGH   the throwaway CA has no CRL or OCSP responder; a certificate from
#                               a public CA names its OCSP responder
#   DNS_CAArecord        LOW    "localhost" has no DNS, so no CAA record: a matter of the
#                               production domain's DNS
# With TLS_AUDIT_SELF_SIGNED=1 (the certificate made at first start, meant for development):
#   cert_chain_of_trust  CRITICAL  self-signed: nobody can trust it; replace it in production
#   cert_validityPeriod  HIGH   it is valid for ten years, longer than the 398 days browsers
#                               accept from public CAs
#
# Prints a summary (protocols, cipher suites, vulnerabilities checked, findings by severity)
# and "tls-audit: passed" or the findings that failed it; testssl's text and JSON reports are
# kept in BUILD_DIR/tls-audit.txt and BUILD_DIR/tls-audit.json. Exit status 0 when it passed.
set -u
B=${1:-build/release}
DELPHI=$(cd "$B" 2>/dev/null && pwd)/delphi
[ -x "$DELPHI" ] || { echo "tls-audit: no $B/delphi (build it first)" >&2; exit 2; }
TESTSSL=$(command -v testssl || command -v testssl.sh) ||
	{ echo "tls-audit: testssl.sh is not installed (apt-get install testssl.sh)" >&2; exit 2; }
T=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
for v in $(env | sed -n 's/^\(DELPHI_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

args=""
allow="engine_problem cert_revocation DNS_CAArecord"
if [ -n "${TLS_AUDIT_SELF_SIGNED:-}" ]; then
	allow="$allow cert_chain_of_trust cert_validityPeriod"
else
	# A throwaway CA and a server certificate issued by it.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
		-subj "/CN=delphi tls-audit CA" -keyout "$T/ca.key" -out "$T/ca.crt" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$T/openssl.err" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=localhost" -keyout "$T/server.key" -out "$T/server.csr" 2>>"$T/openssl.err" &&
	printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$T/ext.cnf" &&
	openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
		-days 90 -sha256 -extfile "$T/ext.cnf" -out "$T/leaf.crt" 2>>"$T/openssl.err" ||
		{ echo "tls-audit: cannot make the certificates:" >&2; cat "$T/openssl.err" >&2; exit 1; }
	cat "$T/leaf.crt" "$T/ca.crt" >"$T/server.crt"
	args="--cert $T/server.crt --key $T/server.key"
fi

# shellcheck disable=SC2086
"$DELPHI" --db "$T/delphi.db" serve --listen 127.0.0.1:0 --threads 2 $args >"$T/out" 2>"$T/err" &
PID=$!
PORT=""
i=0
while [ $i -lt 300 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n 's|^delphi serve: https://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$T/out" 2>/dev/null)
	kill -0 "$PID" 2>/dev/null || break
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
if [ -z "$PORT" ]; then
	echo "tls-audit: the server did not start:" >&2
	cat "$T/out" "$T/err" >&2
	exit 1
fi

ca=""
[ -z "${TLS_AUDIT_SELF_SIGNED:-}" ] && ca="--add-ca $T/ca.crt"
echo "tls-audit: testssl $("$TESTSSL" --version 2>/dev/null | sed -n 's/.*testssl *\([0-9][0-9.]*\).*/\1/p' | head -1) against localhost:$PORT (127.0.0.1), about a minute"
# shellcheck disable=SC2086
timeout -k 10 600 "$TESTSSL" --quiet --color 0 --warnings batch --ip 127.0.0.1 $ca \
	--jsonfile "$T/report.json" "localhost:$PORT" >"$T/report.txt" 2>&1
rc=$?
cp "$T/report.txt" "$B/tls-audit.txt" 2>/dev/null
cp "$T/report.json" "$B/tls-audit.json" 2>/dev/null
if [ ! -s "$T/report.json" ]; then
	echo "tls-audit: testssl made no report (exit $rc):" >&2
	tail -20 "$T/report.txt" >&2
	exit 1
fi
kill -TERM "$PID"
wait "$PID"
src=$?
PID=""
[ "$src" -eq 0 ] || echo "tls-audit: the server exited with $src after SIGTERM"

python3 - "$T/report.json" "$allow" "$src" <<'PY'
import json
import sys

report, allow, server_rc = sys.argv[1], set(sys.argv[2].split()), int(sys.argv[3])
with open(report) as f:
    findings = json.load(f)
by = {}
for x in findings:
    by.setdefault(x["severity"], []).append(x)
get = {x["id"]: x["finding"] for x in findings}
protocols = [p for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3")
             if get.get(p, "").startswith("offered")]
suites = [x["finding"].split()[1] for x in findings if x["id"].startswith("cipher_x")]
vuln_ids = ("heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
            "CRIME_TLS", "BREACH", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN",
            "LOGJAM", "BEAST", "LUCKY13", "RC4")
vulns = [x for x in findings if x["id"] in vuln_ids]
print("tls-audit: protocols offered: %s" % (" ".join(protocols) or "none"))
print("tls-audit: cipher suites: %s" % " ".join(suites))
print("tls-audit: key exchange: %s; session resumption: tickets %s, IDs %s" % (
    get.get("PFS_ECDHE_curves", "?"), get.get("sessionresumption_ticket", "?"),
    get.get("sessionresumption_ID", "?")))
print("tls-audit: %d vulnerability checks, %d not OK" % (
    len(vulns), sum(1 for x in vulns if x["severity"] != "OK")))
print("tls-audit: findings by severity: %s" % ", ".join(
    "%s %d" % (s, len(by[s])) for s in ("OK", "INFO", "WARN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
    if s in by))
bad = []
for x in findings:
    if x["severity"] in ("OK", "INFO", "DEBUG"):
        continue
    mark = "expected" if x["id"] in allow else "FAIL"
    print("  %-8s %-9s %-22s %s" % (mark, x["severity"], x["id"], x["finding"][:100]))
    if mark == "FAIL":
        bad.append(x)
if "TLS1_2" not in get or any(x["id"] == "scanProblem" for x in findings):
    print("tls-audit: the scan did not complete")
    bad.append(None)
if server_rc != 0:
    bad.append(None)
print("tls-audit: %s" % ("passed" if not bad else "FAILED (%d finding(s))" % len(bad)))
sys.exit(1 if bad else 0)
PY
