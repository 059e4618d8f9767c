# corral — top-level GNU Makefile. Objects go to build/ (plain) and build-san/ (ASan+UBSan).
# Targets: all run check install clean bench bench-quick bench-deps soak fuzz deps
# (check-analyze, check-hardening: static analysis and the release binaries' hardening)

PREFIX  ?= /usr/local
DESTDIR ?=
V       ?= 0
Q       := $(if $(filter 1,$(V)),,@)

CC      ?= cc
# Every external library (tests/fuzz/run.sh reads this list); which layer needs which is below.
PKGS    := inih libmicrohttpd expat libsystemd nettle jansson libcurl
# Debian 12's libev-dev ships no .pc file: plain -lev unless pkg-config knows it.
EV_CFLAGS := $(shell pkg-config --cflags libev 2>/dev/null)
EV_LIBS   := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g $(WARN) -fstack-protector-strong -MMD -MP -Isrc \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(EV_CFLAGS)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

SAN_FLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# The release build's hardening, what hardening-check (make check-hardening) looks for: PIE, full
# RELRO (relro + bind now), stack clash protection and, where the target has it (x86), CET.
CF_PROTECTION := $(shell $(CC) -fcf-protection -E -x c /dev/null >/dev/null 2>&1 && echo -fcf-protection)
HARDEN_CFLAGS  := -fPIE -fstack-clash-protection $(CF_PROTECTION)
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now

# Which build: B=build (default, -O2 + fortify + hardening) or B=build-san (sanitizers).
B ?= build
ifeq ($(B),build-san)
  MODE_FLAGS := $(SAN_FLAGS)
  MODE_LDFLAGS :=
else
  MODE_FLAGS := -O2 -D_FORTIFY_SOURCE=2 $(HARDEN_CFLAGS)
  MODE_LDFLAGS := $(HARDEN_LDFLAGS)
endif
CFLAGS  ?=
ALL_CFLAGS := $(BASE_CFLAGS) $(MODE_FLAGS) $(CFLAGS)
ALL_LDFLAGS := $(MODE_FLAGS) $(MODE_LDFLAGS) $(LDFLAGS)

# --- layers -----------------------------------------------------------------------------------
# src/ has one folder per layer; each library layer is an archive, linked only into what may use it,
# so a call in the wrong direction fails the link (README, "Source layout"; tests/check-layers.sh
# checks the #includes the same way):
#   shared     uses nothing of corral's (codec, text, tables, protocol constants)
#   cfg        shared                 (pure: never logs, never touches the loop)
#   core       cfg shared             (processes, logs, the supervisor; never ctl or corrald)
#   ctl        core cfg shared        (control server, HTTP, XML-RPC methods, JSON API)
#   corrald    ctl core cfg shared    (the daemon's entry: main, signals, daemon setup)
#   corralctl  cfg shared             (the client)
LAYERS     := shared cfg core ctl
# External libraries each layer needs (pkg-config names; libev has no .pc file on Debian 12).
PKGS_shared    := expat
PKGS_cfg       := inih
# libcurl: headers only, core/probe_http.c loads the library at the first http probe (dlopen)
PKGS_core      :=
PKGS_ctl       := libmicrohttpd jansson nettle
PKGS_corrald   := libsystemd
PKGS_corralctl := jansson
libs_of = $(if $(strip $(1)),$(shell pkg-config --libs $(1) 2>/dev/null))
LIBS_shared    := $(call libs_of,$(PKGS_shared))
LIBS_cfg       := $(call libs_of,$(PKGS_cfg)) $(LIBS_shared)
LIBS_core      := $(call libs_of,$(PKGS_core)) $(EV_LIBS) -lm $(LIBS_cfg)
LIBS_ctl       := $(call libs_of,$(PKGS_ctl)) $(LIBS_core)
LIBS_corrald   := $(call libs_of,$(PKGS_corrald)) $(LIBS_ctl)
LIBS_corralctl := $(call libs_of,$(PKGS_corralctl)) $(LIBS_cfg)

src_of = $(wildcard src/$(1)/*.c)
obj_of = $(patsubst src/%.c,$(B)/obj/%.o,$(call src_of,$(1)))
lib_of = $(B)/lib$(1).a
# Archives in link order: a layer before the layers it uses.
A_shared := $(call lib_of,shared)
A_cfg    := $(call lib_of,cfg) $(A_shared)
A_core   := $(call lib_of,core) $(A_cfg)
A_ctl    := $(call lib_of,ctl) $(A_core)
# The client: its objects but main.o as an archive, so that its unit test links them too.
A_corralctl := $(call lib_of,corralctl) $(A_cfg)

UNIT_SRC   := $(wildcard tests/unit/check_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
# The one main of the unit tests (tests/unit/main.c runs the suite each check_*.c exports).
UNIT_MAIN  := $(B)/tests/libunitmain.a
# LD_PRELOAD shims of the integration tests (tests/shim/): plain -O2 in both builds, since a shim
# preloaded ahead of ASan's runtime must not need that runtime itself.
SHIM_SO    := $(patsubst tests/shim/%.c,$(B)/tests/lib%.so,$(wildcard tests/shim/*.c))

.PHONY: all run check check-deps check-build check-unit check-integration check-systemd check-fuzz \
        check-layers check-analyze check-analyze-gcc check-analyze-clang check-hardening \
        install clean bench bench-quick bench-deps soak soak-deps fuzz deps
.DELETE_ON_ERROR:
.SECONDARY:

all: $(B)/corrald $(B)/corralctl

$(B)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -c -o $@ $<

$(B)/tests/lib%.so: tests/shim/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(BASE_CFLAGS) -O2 -fPIC -shared -o $@ $< -ldl

$(foreach l,$(LAYERS),$(eval $(call lib_of,$(l)): $(call obj_of,$(l))))
$(call lib_of,corralctl): $(filter-out %/main.o,$(call obj_of,corralctl))
# An archive: a check_*.c that still has a main of its own links without it.
$(UNIT_MAIN): $(B)/tests/main.o
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(B)/lib%.a:
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/corrald: $(call obj_of,corrald) $(A_ctl)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_corrald)

$(B)/corralctl: $(B)/obj/corralctl/main.o $(A_corralctl)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_corralctl)

# Unit tests link only the layer they test (and those below it). A test of a pure module names no
# external library at all, so a stray call into the loop, the log or a socket fails its link.
# Each links the one main (it uses only check, no layer).
#   $(1) test name   $(2) archives   $(3) external libraries
define unit_test
$(B)/tests/$(1): $(B)/tests/$(1).o $(UNIT_MAIN) $(2)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $(3) $$(CHECK_LIBS)
endef
$(eval $(call unit_test,check_xmlrpc,$(A_shared),$(LIBS_shared)))
$(eval $(call unit_test,check_cfg,$(A_cfg),$(LIBS_cfg)))
$(eval $(call unit_test,check_cfg_value,$(A_cfg),$(LIBS_cfg)))
$(eval $(call unit_test,check_fsm,$(A_core),))
$(eval $(call unit_test,check_backoff,$(A_core),-lm))
$(eval $(call unit_test,check_spawn,$(A_core),$(LIBS_core)))
$(eval $(call unit_test,check_proc,$(A_core),$(LIBS_core)))
$(eval $(call unit_test,check_log,$(A_core),$(LIBS_core)))
$(eval $(call unit_test,check_logfile,$(A_core),$(LIBS_core)))
$(eval $(call unit_test,check_sup,$(A_core),$(LIBS_core)))
$(eval $(call unit_test,check_http,$(A_ctl),$(LIBS_ctl)))
$(eval $(call unit_test,check_rpc,$(A_ctl),$(LIBS_ctl)))
$(eval $(call unit_test,check_api_json,$(A_ctl),$(LIBS_ctl)))
$(eval $(call unit_test,check_corralctl,$(A_corralctl),$(LIBS_corralctl)))

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# --- dependencies -----------------------------------------------------------------------------
deps:
	$(Q)tests/deps.sh build

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)mkdir -p /tmp/corral-run
	exec $(B)/corrald -n -c conf/corral.conf

# --- tests ------------------------------------------------------------------------------------
check-deps:
	$(Q)tests/deps.sh check

check-build:
	$(Q)$(MAKE) --no-print-directory B=$(B) all $(UNIT_BIN) $(SHIM_SO)

check-unit: check-build
	$(Q)tests/run-unit.sh $(B) $(UNIT_BIN)

check-integration: check-build
	$(Q)CORRAL_BUILD=$(abspath $(B)) tests/run-integration.sh

check-systemd:
	$(Q)tests/check-systemd.sh

check-layers:
	$(Q)tests/check-layers.sh

# Static analysis of src/ with the release build's flags; any finding fails. A false positive is
# silenced only as src/shared/analyzer.h says (next to the code, with the reason).
# gcc -fanalyzer: objects only (no link), its findings are errors through -Werror; incremental.
ANALYZE_DIR := build-analyze
ANALYZE_GCC ?= gcc
ANALYZE_OBJ := $(patsubst src/%.c,$(ANALYZE_DIR)/gcc/%.o,$(wildcard src/*/*.c))
$(ANALYZE_DIR)/gcc/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  ANALYZE $<")
	$(Q)$(ANALYZE_GCC) $(BASE_CFLAGS) -O2 -D_FORTIFY_SOURCE=2 -fanalyzer -c -o $@ $<
-include $(wildcard $(ANALYZE_DIR)/gcc/*/*.d)

check-analyze-gcc: $(ANALYZE_OBJ)
	@echo "analyze: gcc -fanalyzer: no findings in src/"

# clang's scan-build over the whole release build, afresh each time (a build it has seen would
# not be analyzed again, and its findings would pass unseen); the report stays only on a finding.
SCAN_BUILD ?= $(shell command -v scan-build || command -v scan-build-14)
check-analyze-clang:
	$(Q)rm -rf $(ANALYZE_DIR)/scan $(ANALYZE_DIR)/scan-report && mkdir -p $(ANALYZE_DIR)
	$(Q)$(SCAN_BUILD) --status-bugs -o $(ANALYZE_DIR)/scan-report \
	  $(MAKE) --no-print-directory B=$(ANALYZE_DIR)/scan all >$(ANALYZE_DIR)/scan.log 2>&1 \
	  || { grep -E 'warning:|error:|bugs? found|scan-view' $(ANALYZE_DIR)/scan.log >&2; \
	       echo "analyze: scan-build found the above; full log: $(ANALYZE_DIR)/scan.log" >&2; exit 1; }
	$(Q)rm -rf $(ANALYZE_DIR)/scan-report
	@echo "analyze: scan-build: no findings in src/"

check-analyze:
	$(Q)$(MAKE) --no-print-directory check-analyze-gcc check-analyze-clang

# hardening-check (devscripts) on the release binaries: every check must pass, but one. Control
# flow integrity (the IBT/SHSTK note) is only marked on a binary whose every linked object has it,
# and Debian 12's glibc start files (Scrt1.o, crti.o, crtn.o) have none: its own /usr/bin/ls fails
# there too. So the CET check looks at corral's objects instead, where -fcf-protection is in force.
check-hardening:
	$(Q)$(MAKE) --no-print-directory B=build all
	$(Q)hardening-check $(if $(CF_PROTECTION),--nocfprotection) build/corrald build/corralctl
	$(Q)[ -z "$(CF_PROTECTION)" ] || { for o in build/obj/*/*.o; do \
	  readelf -n $$o | grep -q 'x86 feature: IBT, SHSTK' \
	    || { echo "hardening: $$o has no IBT/SHSTK note" >&2; exit 1; }; \
	done; echo "hardening: every object in build/obj has the IBT/SHSTK note (-fcf-protection)"; }

# make check fuzzes briefly with a fixed seed (deterministic landing) and replays the kept
# regressions; it reads tests/fuzz/corpus/ and never writes it. `make fuzz` explores for FUZZ_S
# seconds per target (FUZZ_SECONDS also accepted) and merges what it found, minimised, back into
# tests/fuzz/corpus/<target>/ to be committed.
check-fuzz:
	$(Q)FUZZ_SEED=$${FUZZ_SEED:-1} FUZZ_S=$${FUZZ_S:-$${FUZZ_SECONDS:-10}} FUZZ_MERGE=0 tests/fuzz/run.sh

# Plain build first (fast feedback), then the same suites under ASan+UBSan.
check: check-deps
	$(Q)$(MAKE) --no-print-directory check-layers
	$(Q)$(MAKE) --no-print-directory -j2 check-analyze
	$(Q)$(MAKE) --no-print-directory B=build check-unit check-integration check-hardening
	$(Q)$(MAKE) --no-print-directory B=build-san check-unit check-integration
	$(Q)$(MAKE) --no-print-directory check-systemd check-fuzz

fuzz:
	$(Q)FUZZ_S=$${FUZZ_S:-$${FUZZ_SECONDS:-300}} FUZZ_MERGE=1 tests/fuzz/run.sh

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

# --- soak (never part of check) ---------------------------------------------------------------
# SOAK_S seconds of crash storms, 20 control clients, log floods, reloads and /logtail followers at
# once on one plain-build corrald; fails on growth, zombies, death or silence (tests/soak/soak.py).
# Outputs: build/soak/soak.csv, soak.png, summary.txt.
SOAK_S ?= 1200
PYTHON ?= /usr/bin/python3
soak-deps:
	$(Q)tests/deps.sh soak

soak: soak-deps
	$(Q)$(MAKE) --no-print-directory B=build all
	$(Q)$(PYTHON) tests/soak/soak.py --corrald build/corrald --seconds $(SOAK_S) --out build/soak

# --- install ----------------------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)/etc/corral
	install -m 0755 $(B)/corrald $(B)/corralctl $(DESTDIR)$(PREFIX)/bin/
	sed 's|@BINDIR@|$(PREFIX)/bin|g' systemd/corrald.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/corrald.service
	test -e $(DESTDIR)/etc/corral/corral.conf || install -m 0644 conf/corral.conf $(DESTDIR)/etc/corral/corral.conf
	for m in man/*.[1-8]; do [ -e "$$m" ] || continue; s=$${m##*.}; \
	  install -d $(DESTDIR)$(PREFIX)/share/man/man$$s && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done

clean:
	rm -rf build build-san $(ANALYZE_DIR)
