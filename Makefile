# delphi — one non-recursive Makefile.
#
#   make            build the release variant: build/release/delphi (and ./delphi, a link to it)
#   make run        install missing packages, build, start delphi on the sample survey
#   make test       install missing packages, build, run every test against the release build and
#                   again against an ASan + UBSan build (each pass ends with "N passed, N failed")
#   make asan       the same tests against an ASan + UBSan build (build/asan)
#   make bench      benchmarks (print figures; never asserted)
#   make clean
#
# Sources are discovered: every server/**/*.c except server/main.c goes into libdelphi.a, which
# the binary, the unit tests (tests/unit/test_*.c) and the benchmarks link against.

VARIANT ?= release
B       := build/$(VARIANT)

CC      ?= cc
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wimplicit-fallthrough -fno-common -Werror
CPPFLAGS += -D_GNU_SOURCE -Iserver -Iserver/core -I$(B)/gen -MMD -MP
LIBS    := $(shell pkg-config --libs libevent libevent_pthreads sqlite3 jansson 2>/dev/null) \
           -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -lm
TEST_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

ifeq ($(VARIANT),asan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDOPT := -fsanitize=address,undefined
else ifeq ($(VARIANT),debug)
  OPT := -O0 -g
  LDOPT :=
else
  OPT := -O2 -g
  LDOPT :=
endif
CFLAGS  := $(WARN) $(OPT) $(EXTRA_CFLAGS)
LDFLAGS := $(LDOPT)

SRC       := $(filter-out server/main.c,$(wildcard server/*.c server/core/*.c))
OBJ       := $(SRC:%.c=$(B)/%.o) $(B)/gen/embedded.o
TEST_SRC  := $(wildcard tests/unit/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
MIGRATIONS := $(sort $(wildcard db/migrations/*.sql))
WEB_FILES  := $(shell find web -type f 2>/dev/null | LC_ALL=C sort)

# A file added or removed, not only one edited, must rebuild what is made from a list of files:
# each such list is kept in a file rewritten only when the list differs, and the rule depends on it.
list_stamp = $(shell mkdir -p $(dir $(1)) && printf '%s\n' $(2) >$(1).new && \
	{ cmp -s $(1).new $(1) && rm -f $(1).new || mv -f $(1).new $(1); })
$(call list_stamp,$(B)/gen/embedded.list,$(MIGRATIONS) -- $(WEB_FILES))
$(call list_stamp,$(B)/libdelphi.list,$(OBJ))

.PHONY: all deps test-deps run test asan bench fuzz soak tls-audit clean
all: $(B)/delphi delphi

delphi: $(B)/delphi
	ln -sf $(B)/delphi delphi

$(B)/delphi: $(B)/server/main.o $(B)/libdelphi.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/libdelphi.a: $(OBJ) $(B)/libdelphi.list
	rm -f $@
	ar rcs $@ $(OBJ)

$(B)/%.o: %.c | $(B)/gen/embedded.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Build-time embedding: migrations and web assets become C arrays (tools/embed.sh).
$(B)/gen/embedded.c: tools/embed.sh $(MIGRATIONS) $(WEB_FILES) $(B)/gen/embedded.list
	@mkdir -p $(B)/gen
	sh tools/embed.sh $(B)/gen/embedded $(MIGRATIONS) -- $(WEB_FILES)
$(B)/gen/embedded.h: $(B)/gen/embedded.c

$(B)/gen/embedded.o: $(B)/gen/embedded.c
	$(CC) $(CPPFLAGS) $(OPT) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libdelphi.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(B)/libdelphi.a $(LIBS) $(TEST_LIBS)

$(B)/bench/%: bench/%.c $(B)/libdelphi.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $< $(B)/libdelphi.a $(LIBS)

# Debian packages (and the browser tests' npm packages) that are missing, installed once.
deps:
	@sh tools/install-deps.sh build
test-deps:
	@sh tools/install-deps.sh build test
	@sh tools/install-browser-deps.sh

build-tests: $(B)/delphi $(TEST_BIN)

# make test runs every test twice: against the release build, then against the ASan + UBSan
# build (issue 7: the whole suite, browser tests included, under sanitizers). TEST_VARIANTS=release
# runs the first pass only (a quicker loop while developing); make asan runs the second only.
TEST_VARIANTS ?= release asan
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
test: test-deps
	@for v in $(TEST_VARIANTS); do $(MAKE) --no-print-directory VARIANT=$$v build-tests || exit 1; done
	@status=0; for v in $(TEST_VARIANTS); do \
	  echo "== make test: build/$$v"; \
	  $(SAN_ENV) sh tests/run.sh build/$$v || status=1; \
	done; exit $$status

asan: test-deps
	$(MAKE) VARIANT=asan build-tests
	@$(SAN_ENV) sh tests/run.sh build/asan

bench: deps
	@sh tools/install-deps.sh build bench
	$(MAKE) $(B)/delphi $(BENCH_BIN)
	@sh bench/run.sh $(B)

# libFuzzer targets (fuzz/): each runs FUZZ_SECONDS (default 60); prints executions per target.
fuzz:
	@sh tools/install-deps.sh build fuzz
	@sh fuzz/run.sh

# The long crash-consistency run: SOAK_KILLS (300) kills over SOAK_SECONDS (600) of load.
soak: test-deps
	$(MAKE) $(B)/delphi
	@sh tests/soak.sh $(B)

# testssl.sh against a running server; fails on any finding not explained in tools/tls-audit.sh.
tls-audit: deps
	@sh tools/install-deps.sh build audit
	$(MAKE) $(B)/delphi
	@sh tools/tls-audit.sh $(B)

run: deps
	$(MAKE) $(B)/delphi delphi
	@sh tools/run.sh $(B)/delphi

clean:
	rm -rf build delphi

-include $(shell find build -name '*.d' 2>/dev/null)
.PHONY: build-tests
