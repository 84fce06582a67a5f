# linli: one GNU Makefile.  `make` builds linlid and linlictl, `make check`
# runs every test, `make demo` runs a hub and ten communities with demo data.

PREFIX ?= /usr/local
DESTDIR ?=
# Where make install puts the systemd units (the package: /lib/systemd/system).
UNITDIR ?= $(PREFIX)/lib/systemd/system
BUILD ?= build
SANITIZE ?=
# The wire schema the build is made from (the test fixture `next` gives another).
PROTO ?= proto/linli.proto

PKGS := libzmq libprotobuf-c lmdb libsodium
# linlid alone: its HTTP endpoint (daemon/http.c) is libmicrohttpd's; a
# library for it, rather than our own HTTP parser, because requests come
# from the office LAN (GET and HEAD only keep it clear of its POST parser).
DAEMON_PKGS := libmicrohttpd
# Debian packages that provide the build dependencies (`make`, `make
# install`: what a package build needs) and, for `make check` and the other
# test targets, the test tools.
BUILD_DEBS := build-essential pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler \
	liblmdb-dev libsodium-dev gettext libmicrohttpd-dev
TEST_DEBS := libcmocka-dev lmdb-utils python3 iproute2 nftables strace faketime valgrind tcpdump \
	man-db mandoc prometheus chromium fonts-noto-cjk
# The release, as --version prints it.
VERSION := $(shell cat VERSION)

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) -MMD -MP -I. -I$(BUILD) \
	$(shell pkg-config --cflags $(PKGS) $(DAEMON_PKGS) 2>/dev/null)
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
DAEMON_LIBS = $(shell pkg-config --libs $(DAEMON_PKGS) 2>/dev/null)
ifneq ($(SANITIZE),)
# A finding stops the process (UBSan would print and go on), so the test
# that met it fails.
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

GEN := $(BUILD)/proto/linli.pb-c.c
LIB_SRC := $(wildcard proto/*.c) $(wildcard store/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN:.c=.o)
DAEMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard daemon/*.c))
CTL_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard ctl/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# The man pages: mdoc sources in man/, the release put in at build time.
MAN_SRC := man/linlid.8 man/linlictl.8 man/linlid.conf.5
MAN := $(MAN_SRC:man/%=$(BUILD)/man/%)

# Translations: po/LANG.po compiled by msgfmt to BUILD/locale (what the
# binaries use when LINLI_LOCALEDIR points there; tests and the demo do).
LOCALEDIR ?= $(PREFIX)/share/locale
PO := $(wildcard po/*.po)
MO := $(PO:po/%.po=$(BUILD)/locale/%/LC_MESSAGES/linli.mo)

all: deps locale-zh $(BUILD)/linlid $(BUILD)/linlictl $(MAN) $(MO)

.PHONY: all deps test-deps demo-deps locale-zh check check-valgrind check-faults demo bench install uninstall \
	clean fuzz fuzz-run fuzz-seeds next pot deb check-system

# Installs what is missing (as root) or prints the exact command: the
# build packages (deps), the test tools (test-deps), or what the demo runs
# on (demo-deps: python3, not the tests' browser).
deps: DEBS = $(BUILD_DEBS)
test-deps: DEBS = $(TEST_DEBS)
demo-deps: DEBS = python3
deps test-deps demo-deps:
	$(Q)missing=""; for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
			{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; } || \
			{ echo "apt-get install failed for:$$missing" >&2; exit 1; }; \
		else \
			echo "missing Debian packages; run: sudo apt-get install -y$$missing" >&2; exit 1; \
		fi; \
	fi

# linlictl speaks Chinese in the zh_CN.UTF-8 locale, which a minimal Debian
# lacks (it has C.UTF-8 only): as root, made here (Debian's locales, as
# locale-gen makes it); else, or if that fails, the command to run.
# Nothing needs it to build, so it never stops make; DEBS= on the command
# line (a package build: install nothing) skips it.
ZH_LOCALE_CMD := apt-get install -y locales && echo 'zh_CN.UTF-8 UTF-8' >> /etc/locale.gen && locale-gen
locale-zh:
	$(Q)if [ "$(origin DEBS)" != "command line" ] && ! locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\?8'; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "generating the zh_CN.UTF-8 locale (for linlictl in Chinese)"; \
			{ dpkg-query -W -f='$${Status}' locales 2>/dev/null | grep -q 'ok installed' || \
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -q locales >/dev/null 2>&1; } && \
			{ grep -q '^zh_CN.UTF-8 UTF-8' /etc/locale.gen 2>/dev/null || \
			  echo 'zh_CN.UTF-8 UTF-8' >> /etc/locale.gen; } && \
			locale-gen >/dev/null 2>&1 || \
			echo "could not generate the zh_CN.UTF-8 locale; run as root: $(ZH_LOCALE_CMD)" >&2; \
		else \
			echo "note: no zh_CN.UTF-8 locale, so linlictl cannot speak Chinese here; as root run: $(ZH_LOCALE_CMD)" >&2; \
		fi; \
	fi

# One run of protoc-c makes both (a grouped target: with the header as a
# target of its own and no recipe, make kept its old time and objects
# built against the old schema were not rebuilt).
$(BUILD)/proto/linli.pb-c.c $(BUILD)/proto/linli.pb-c.h &: $(PROTO) | deps
	@mkdir -p $(dir $@)
	$(Q)protoc-c --proto_path=$(dir $<) --c_out=$(BUILD)/proto $<

$(BUILD)/%.o: %.c $(BUILD)/proto/linli.pb-c.h
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Generated code is not ours to warn about.
$(BUILD)/proto/linli.pb-c.o: $(BUILD)/proto/linli.pb-c.c
	$(Q)$(CC) -std=c11 $(CFLAGS) -MMD -MP -I$(BUILD) $(shell pkg-config --cflags libprotobuf-c) \
		$(if $(SANITIZE),-fsanitize=$(SANITIZE)) -c -o $@ $<

$(BUILD)/locale/%/LC_MESSAGES/linli.mo: po/%.po | deps
	@mkdir -p $(dir $@)
	$(Q)msgfmt --check -o $@.tmp $< && mv $@.tmp $@

# The template translators start from: every _(), N_(), C_() and NC_() in
# ctl/ and in the daemon's files that write replies, what the demo says,
# and the formats of ctl_fail, ctl_usage and control.c's fail and
# add_problem, which translate them (i18n.h).  POT=FILE writes it elsewhere (test_zh compares it with
# po/zh_CN.po).
POT ?= po/linli.pot
POT_SRC := $(sort $(wildcard ctl/*.c)) proto/names.c daemon/web.c daemon/control.c daemon/write.c daemon/node.c daemon/hub.c \
	daemon/refs.c daemon/history.c daemon/import.c \
	tests/demo.py
pot:
	$(Q)xgettext --from-code=UTF-8 -k_ -kN_ -kC_:1c,2 -kNC_:1c,2 -kpgettext:1c,2 \
		-kctl_fail:1 -kctl_usage:2 \
		-kfail:2 -kadd_problem:2 --flag=ctl_fail:1:c-format --flag=ctl_usage:2:c-format \
		--flag=fail:2:c-format --flag=add_problem:2:c-format \
		--add-comments=TRANSLATORS: -o $(POT) --package-name=linli $(POT_SRC)

$(BUILD)/man/%: man/% VERSION
	@mkdir -p $(dir $@)
	$(Q)sed 's/@VERSION@/$(VERSION)/g' $< > $@.tmp && mv $@.tmp $@

$(BUILD)/daemon/main.o $(BUILD)/ctl/main.o: VERSION
$(BUILD)/proto/textdomain.o: ALL_CFLAGS += -DLOCALEDIR='"$(LOCALEDIR)"'
$(BUILD)/daemon/main.o $(BUILD)/ctl/main.o: ALL_CFLAGS += -DLINLI_VERSION='"$(VERSION)"'

$(BUILD)/liblinli.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/linlid: $(DAEMON_OBJ) $(BUILD)/liblinli.a
	@[ "$(V)" = 1 ] || echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(DAEMON_LIBS)

$(BUILD)/linlictl: $(CTL_OBJ) $(BUILD)/liblinli.a
	@[ "$(V)" = 1 ] || echo "  LD $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/liblinli.a | test-deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblinli.a $(LIBS) -lcmocka

# test_monthly tests daemon/monthly.c against a store: it links the daemon's modules too.
$(BUILD)/tests/test_monthly: tests/unit/test_monthly.c $(BUILD)/liblinlid.a $(BUILD)/liblinli.a | test-deps
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblinlid.a $(BUILD)/liblinli.a $(LIBS) \
		$(DAEMON_LIBS) -lcmocka

TOOLS := $(BUILD)/tests/linli-inject $(BUILD)/tests/linli-bench $(BUILD)/tests/linli-ctlraw \
	$(BUILD)/tests/linli-httpload

$(BUILD)/tests/linli-%: tests/tools/%.c $(BUILD)/liblinli.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblinli.a $(LIBS)

# The daemon's modules without main, for what tests link of them.
$(BUILD)/liblinlid.a: $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJ))
	$(Q)rm -f $@ && ar rcs $@ $^

# Fuzz harnesses (tests/fuzz): one per decoder at a trust boundary.  `make
# check` replays every seed corpus through each of them with a plain driver
# (no clang needed); `make fuzz` runs each under libFuzzer.
FUZZ_SRC := $(filter-out tests/fuzz/replay.c tests/fuzz/seeds.c,$(wildcard tests/fuzz/*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz_%)
FUZZ_LIBS = $(BUILD)/liblinlid.a $(BUILD)/liblinli.a $(LIBS) $(DAEMON_LIBS)

$(BUILD)/tests/fuzz_%: tests/fuzz/%.c tests/fuzz/replay.c $(BUILD)/liblinlid.a $(BUILD)/liblinli.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -DFUZZ_NAME='"$*"' -DFUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus"' \
		$(LDFLAGS) -o $@ $< tests/fuzz/replay.c $(FUZZ_LIBS)

# Writes the seed corpora from real encoded messages (committed).
fuzz-seeds: $(BUILD)/tests/linli-seeds
	$(Q)$< tests/fuzz/corpus

$(BUILD)/tests/linli-seeds: tests/fuzz/seeds.c $(BUILD)/liblinli.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblinli.a $(LIBS)

check: test-deps all $(UNIT_BIN) $(TOOLS) $(FUZZ_REPLAY) next
	$(Q)BUILD=$(abspath $(BUILD)) tests/run $(UNIT_BIN) $(FUZZ_REPLAY)

# The next release, as a test fixture: linlid and linlictl built from this
# schema with a field added to Event and to Household (generated, so it
# follows proto/linli.proto), in $(BUILD)/next; test_upgrade runs them
# beside this build's.  The same sources compiled once more: seconds.
NEXT := $(BUILD)/next
next: $(NEXT)/linli.proto
	$(Q)$(MAKE) --no-print-directory $(if $(filter 1,$(V)),,-s) BUILD=$(NEXT) \
		PROTO=$(NEXT)/linli.proto \
		$(NEXT)/linlid $(NEXT)/linlictl

$(NEXT)/linli.proto: $(PROTO) tests/tools/next_schema.awk
	@mkdir -p $(dir $@)
	$(Q)awk -f tests/tools/next_schema.awk $(PROTO) > $@.tmp && mv $@.tmp $@

# `make fuzz [FUZZ_SECONDS=600]`: every harness for that long under
# libFuzzer with ASan and UBSan (clang-14), in its own build directory.
# New inputs go to build-fuzz/fuzz/NAME.corpus, crashes beside them.
FUZZ_SECONDS ?= 600
FUZZ_CC ?= clang-14
fuzz: deps test-deps
	$(Q)command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC) (Debian package clang-14)" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) \
		SANITIZE=address,undefined,fuzzer-no-link fuzz-run

fuzz-run: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
	$(Q)tests/fuzz/run $(FUZZ_SECONDS) $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/liblinlid.a $(BUILD)/liblinli.a
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(FUZZ_LIBS)

# The same under valgrind: the unit tests, the fuzz replays, and the
# integration tests below with linlid and linlictl under it too.  An error
# or a definite leak fails the test.  Left out, as valgrind's slowdown (20x
# and more) breaks their timing rather than testing anything more:
# test_kills and test_crash (kills under a write load, convergence within
# seconds), test_partition (namespaces, heartbeat-timed link checks),
# test_clock (faketime's LD_PRELOAD), test_eio (strace's fault injection
# counts syscalls), test_bench_tiny (a benchmark), test_full_disk (fills a
# disk one linlictl call a record within its own 150 s).
VALGRIND_CMD := valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --quiet
VALGRIND_TESTS := test_config test_verify test_refusals test_restore test_replication test_catalogue
check-valgrind: test-deps all $(UNIT_BIN) $(TOOLS) $(FUZZ_REPLAY)
	$(Q)BUILD=$(abspath $(BUILD)) VALGRIND="$(VALGRIND_CMD)" LINLI_TESTS="$(VALGRIND_TESTS)" \
	    LINLI_SLOW=5 tests/run $(UNIT_BIN) $(FUZZ_REPLAY)

# R records per community (default 100000); see README "Performance".
R ?= 100000
# The long form of the fault suite (hundreds of kills): minutes, not seconds.
check-faults: test-deps all $(TOOLS)
	$(Q)BUILD=$(abspath $(BUILD)) KILLS=$(or $(KILLS),200) REPEAT=$(or $(REPEAT),3) \
	    python3 tests/check_faults.py

bench: test-deps all $(TOOLS)
	$(Q)BUILD=$(abspath $(BUILD)) python3 tests/bench.py $(R)

# SERVE=1: the demo keeps running, its dashboard too, until Ctrl-C.
demo: demo-deps all
	$(Q)BUILD=$(abspath $(BUILD)) SERVE=$(SERVE) python3 tests/demo.py

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/share/doc/linli \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/linlid $(BUILD)/linlictl $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BUILD)/man/linlid.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 $(BUILD)/man/linlid.8 $(BUILD)/man/linlictl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	for u in linlid-node linlid-hub; do \
		sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@DOCDIR@|$(PREFIX)/share/doc/linli|g' \
			deploy/$$u.service > $(DESTDIR)$(UNITDIR)/$$u.service; \
	done
	install -m 0644 deploy/node.conf deploy/hub.conf $(DESTDIR)$(PREFIX)/share/doc/linli/
	for mo in $(MO); do \
		lang=$${mo#$(BUILD)/locale/}; lang=$${lang%%/*}; \
		install -D -m 0644 $$mo $(DESTDIR)$(LOCALEDIR)/$$lang/LC_MESSAGES/linli.mo; \
	done

# What install installed, and its directories if they are left empty.
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/linlid $(DESTDIR)$(PREFIX)/bin/linlictl \
		$(DESTDIR)$(UNITDIR)/linlid-node.service $(DESTDIR)$(UNITDIR)/linlid-hub.service \
		$(DESTDIR)$(PREFIX)/share/doc/linli/node.conf $(DESTDIR)$(PREFIX)/share/doc/linli/hub.conf \
		$(DESTDIR)$(PREFIX)/share/man/man5/linlid.conf.5 \
		$(DESTDIR)$(PREFIX)/share/man/man8/linlid.8 $(DESTDIR)$(PREFIX)/share/man/man8/linlictl.8
	rm -f $(patsubst po/%.po,$(DESTDIR)$(LOCALEDIR)/%/LC_MESSAGES/linli.mo,$(PO))
	-rmdir $(DESTDIR)$(PREFIX)/share/doc/linli 2>/dev/null

# `make deb`: the Debian 12 package (debian/, debhelper) built from a copy
# of this tree in $(BUILD)/deb, and checked by lintian (no error).
DEB_DEBS := $(BUILD_DEBS) debhelper dpkg-dev fakeroot lintian
deb:
	$(Q)$(MAKE) --no-print-directory deps DEBS="$(DEB_DEBS)"
	$(Q)v=$$(dpkg-parsechangelog -S Version); if [ -f VERSION ] && [ "$$(cat VERSION)" != "$$v" ]; then \
		echo "make deb: debian/changelog is at $$v, VERSION at $$(cat VERSION): add an entry (dch -v $$(cat VERSION))" >&2; \
		exit 1; fi
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	$(Q)if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			tar --null -T - -c --ignore-failed-read 2>/dev/null; \
	else \
		tar -c --exclude='./build*' .; \
	fi | tar -x -C $(BUILD)/deb/src
	$(Q)cd $(BUILD)/deb/src && { dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -30 ../build.log; echo "make deb: dpkg-buildpackage failed: $(BUILD)/deb/build.log" >&2; \
		exit 1; }; }
	$(Q)lintian --fail-on error $(BUILD)/deb/*.changes
	$(Q)ls $(BUILD)/deb/*.deb

# `make check-system`: the package installed in Debian 12 containers
# booted with systemd (tests/system/run: hub and node units, writes,
# kills, the watchdog, upgrade, purge); says SKIP where a container
# cannot boot here.
SYSTEM_DEBS := systemd-container debootstrap
check-system:
	$(Q)if [ "$$(id -u)" != 0 ]; then echo "SKIP check-system: booting containers needs root"; exit 0; fi; \
	$(MAKE) --no-print-directory deb && $(MAKE) --no-print-directory deps DEBS="$(SYSTEM_DEBS)" && \
	{ timeout --kill-after=30 1200 python3 tests/system/run $(BUILD)/deb/linli_*.deb; rc=$$?; \
	  [ $$rc = 77 ] || exit $$rc; }

clean:
	rm -rf $(BUILD)

# (The next build's are its own: its make reads them; the package's too.)
-include $(shell find $(BUILD) \( -path $(NEXT) -o -path $(BUILD)/deb \) -prune -o -name '*.d' -type f -print 2>/dev/null)
