# corral — top-level GNU Makefile. Objects go to build/ (plain) and build-san/ (ASan+UBSan).
# Targets: all run check install clean bench bench-quick bench-deps fuzz deps

PREFIX  ?= /usr/local
DESTDIR ?=
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)

CC      ?= cc
PKGS    := inih libmicrohttpd expat libsystemd nettle jansson
# Debian 12's libev-dev ships no .pc file: plain -lev unless pkg-config knows it.
EV_CFLAGS := $(shell pkg-config --cflags libev 2>/dev/null)
EV_LIBS   := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g $(WARN) -fstack-protector-strong -MMD -MP -Isrc \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EV_CFLAGS)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(EV_LIBS) -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Which build: B=build (default, -O2 + fortify) or B=build-san (sanitizers).
B ?= build
ifeq ($(B),build-san)
  MODE_FLAGS := $(SAN_FLAGS)
else
  MODE_FLAGS := -O2 -D_FORTIFY_SOURCE=2
endif
CFLAGS  ?=
ALL_CFLAGS := $(BASE_CFLAGS) $(MODE_FLAGS) $(CFLAGS)
ALL_LDFLAGS := $(MODE_FLAGS) $(LDFLAGS)

# corralctl*.c belong to the client; main.c is the daemon entry; everything else is the daemon core.
CLIENT_SRC := $(wildcard src/corralctl*.c)
CORE_SRC   := $(filter-out src/main.c $(CLIENT_SRC),$(wildcard src/*.c))
CORE_OBJ   := $(CORE_SRC:src/%.c=$(B)/%.o)
# The client shares only the value codec and small helpers with the daemon.
CLIENT_OBJ := $(CLIENT_SRC:src/%.c=$(B)/%.o) $(B)/xmlrpc.o $(B)/util.o
UNIT_SRC   := $(wildcard tests/unit/check_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

.PHONY: all run check check-build check-unit check-integration check-systemd check-fuzz \
        install clean bench bench-quick bench-deps fuzz deps
.DELETE_ON_ERROR:
.SECONDARY:

all: $(B)/corrald $(B)/corralctl

$(B)/%.o: src/%.c | $(B)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/unit/%.c | $(B)/tests
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(B)/corrald: $(B)/main.o $(CORE_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/corralctl: $(CLIENT_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/check_%: $(B)/tests/check_%.o $(CORE_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

$(B) $(B)/tests:
	$(Q)mkdir -p $@

-include $(wildcard $(B)/*.d $(B)/tests/*.d)

# --- dependencies -----------------------------------------------------------------------------
deps:
	$(Q)tests/deps.sh build

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p /tmp/corral-run
	exec $(B)/corrald -n -c conf/corral.conf

# --- tests ------------------------------------------------------------------------------------
check-build:
	$(Q)$(MAKE) --no-print-directory B=$(B) all $(UNIT_BIN)

check-unit: check-build
	$(Q)tests/run-unit.sh $(B) $(UNIT_BIN)

check-integration: check-build
	$(Q)CORRAL_BUILD=$(abspath $(B)) tests/run-integration.sh

check-systemd:
	$(Q)tests/check-systemd.sh

# make check fuzzes with a fixed seed so that a landing is deterministic; `make fuzz` explores.
check-fuzz:
	$(Q)FUZZ_SEED=$${FUZZ_SEED:-1} tests/fuzz/run.sh

# Plain build first (fast feedback), then the same suites under ASan+UBSan.
check: deps
	$(Q)$(MAKE) --no-print-directory B=build check-unit check-integration
	$(Q)$(MAKE) --no-print-directory B=build-san check-unit check-integration
	$(Q)$(MAKE) --no-print-directory check-systemd check-fuzz

fuzz:
	$(Q)FUZZ_SECONDS=$${FUZZ_SECONDS:-300} tests/fuzz/run.sh

# --- benchmark (never part of check) ----------------------------------------------------------
# Installs what is missing first (supervisor, s6, runit as peers), like `make run`.
bench-deps:
	$(Q)tests/deps.sh bench

bench: bench-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench/run.sh --full

bench-quick: bench-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench/run.sh --quick

# --- install ----------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)/etc/corral
	install -m 0755 $(B)/corrald $(B)/corralctl $(DESTDIR)$(PREFIX)/bin/
	sed 's|@BINDIR@|$(PREFIX)/bin|g' systemd/corrald.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/corrald.service
	test -e $(DESTDIR)/etc/corral/corral.conf || install -m 0644 conf/corral.conf $(DESTDIR)/etc/corral/corral.conf
	for m in man/*.[1-8]; do [ -e "$$m" ] || continue; s=$${m##*.}; \
	  install -d $(DESTDIR)$(PREFIX)/share/man/man$$s && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

clean:
	rm -rf build build-san
