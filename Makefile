# SPDX-License-Identifier: GPL-2.0
#
# xdpguard: BPF objects -> skeletons -> user programs, then check/bench/demo.
# Quiet unless V=1.

OUTPUT   ?= build
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= gcc
PKGS     := libbpf libxdp libelf zlib

VMLINUX  := vmlinux/$(ARCH)/vmlinux.h
INCLUDES := -Iinclude -I$(OUTPUT) -Ibpf
CFLAGS   ?= -O2 -g
VERSION  := $(shell cat VERSION)
CFLAGS   += -DXG_VERSION='"$(VERSION)"'
CFLAGS   += -Wall -Wextra -Wno-unused-parameter -Werror -std=gnu11 $(INCLUDES)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lxdp -lbpf -lelf -lz)
LDLIBS_HTTP := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
LDLIBS_JOURNAL := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ivmlinux/$(ARCH) -Iinclude -Ibpf

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
TOOL_BPF  := $(wildcard tests/tools/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
TOOL_OBJS := $(patsubst tests/tools/%.bpf.c,$(OUTPUT)/%.bpf.o,$(TOOL_BPF))
SKELS     := $(BPF_OBJS:.bpf.o=.skel.h)
TOOL_SKELS := $(TOOL_OBJS:.bpf.o=.skel.h)
BPF_HDRS  := $(wildcard include/xdpguard/*.h bpf/lib/*.h)
HDRS      := $(BPF_HDRS) $(wildcard user/*/*.h tests/*.h)

# user/: lib (library) and comp (components) make libxdpguard.a; the
# commands (cmd) and main.c link against it (scripts/layers checks the
# direction: main -> cmd -> comp -> lib -> include)
LIB_SRCS  := $(wildcard user/lib/*.c) $(wildcard user/comp/*.c)
CMD_SRCS  := user/main.c $(wildcard user/cmd/*.c)
LIB_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(LIB_SRCS))
CMD_OBJS  := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(CMD_SRCS))
ARCHIVE   := $(OUTPUT)/libxdpguard.a

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(filter-out %.bpf.c,$(wildcard tests/tools/*.c))
TOOL_BINS := $(patsubst tests/tools/%.c,$(OUTPUT)/%,$(TOOL_SRCS))

.DELETE_ON_ERROR:
.PHONY: all clean check demo bench vmlinux deps tools fuzz man install uninstall

FUZZ_SRCS := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(OUTPUT)/%,$(FUZZ_SRCS))

all: $(OUTPUT)/xdpguard tools

tools: $(TOOL_BINS) $(UNIT_BINS) $(TOOL_OBJS) $(FUZZ_BINS)

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.bpf.o: tests/tools/%.bpf.c $(BPF_HDRS) $(VMLINUX) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

# the socket record's keeper swaps 32-bit words (BPF_ATOMIC cmpxchg: v3)
$(OUTPUT)/sock_peers.bpf.o: BPF_CFLAGS += -mcpu=v3

# the XDP guard built with its bench stops (build/stagebench)
$(OUTPUT)/xg_stages.bpf.o: bpf/xdp_guard.bpf.c

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(notdir $*)_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(ARCHIVE): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/xdpguard: $(CMD_OBJS) $(ARCHIVE)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(LDLIBS_HTTP) $(LDLIBS_JOURNAL)

# unit tests link what they use from the archive, no command (and may
# load a tool's program: tests/tools/kcookie.bpf.c)
$(OUTPUT)/tests/%: tests/unit/%.c $(ARCHIVE) $(HDRS) $(SKELS) $(TOOL_SKELS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser $< $(ARCHIVE) -o $@ $(LDLIBS)

$(OUTPUT)/%: tests/tools/%.c $(ARCHIVE) $(HDRS) $(SKELS) $(TOOL_SKELS) | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iuser $< $(ARCHIVE) -o $@ $(LDLIBS)

# libFuzzer targets of the user-space parsers (clang, ASan, UBSan)
FUZZ_DEPS := user/lib/parse.c user/lib/util.c user/lib/policyfile.c
$(OUTPUT)/%_fuzz: tests/fuzz/%_fuzz.c $(FUZZ_DEPS) $(HDRS) | $(OUTPUT)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -Iinclude -Iuser/lib $< $(FUZZ_DEPS) -o $@

# the man page from its source (committed, so that a build needs no pandoc)
man: man/xdpguard.8
man/xdpguard.8: docs/man/xdpguard.8.md VERSION
	$(call msg,PANDOC,$@)
	$(Q)sed 's/^% XDPGUARD(8) xdpguard [^ ]* /% XDPGUARD(8) xdpguard $(VERSION) /' $< | \
		pandoc -s -f markdown -t man -o $@

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

deps:
	$(Q)scripts/deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# the long fuzz run; make check runs a short one
fuzz: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)XG_FUZZ_N=$${XG_FUZZ_N:-5000000} $(OUTPUT)/tests/fuzz_xdp_guard
	$(Q)for f in $(FUZZ_BINS); do mkdir -p $(OUTPUT)/corpus; \
		$$f -max_total_time=$${XG_FUZZ_SECONDS:-60} $(OUTPUT)/corpus \
		tests/fuzz/corpus || exit 1; done

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench.sh

# make install [PREFIX=/usr/local] [DESTDIR=] (the Debian package: PREFIX=/usr
# UNITDIR=/lib/systemd/system); make uninstall removes what it installed
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
COMPDIR    ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
UNITS      := $(wildcard contrib/systemd/*.service)
INSTALLED  := $(SBINDIR)/xdpguard $(MANDIR)/man8/xdpguard.8 \
	      $(COMPDIR)/xdpguard $(SYSCONFDIR)/xdpguard/example.policy \
	      $(patsubst contrib/systemd/%,$(UNITDIR)/%,$(UNITS))

install: $(OUTPUT)/xdpguard
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(OUTPUT)/xdpguard $(DESTDIR)$(SBINDIR)/xdpguard
	$(Q)install -D -m 0644 man/xdpguard.8 $(DESTDIR)$(MANDIR)/man8/xdpguard.8
	$(Q)install -D -m 0644 contrib/bash-completion/xdpguard \
		$(DESTDIR)$(COMPDIR)/xdpguard
	$(Q)install -D -m 0644 contrib/example.policy \
		$(DESTDIR)$(SYSCONFDIR)/xdpguard/example.policy
	$(Q)for u in $(UNITS); do \
		install -D -m 0644 $$u $(DESTDIR)$(UNITDIR)/$${u##*/} && \
		sed -i 's|@SBINDIR@|$(SBINDIR)|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			$(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir $(DESTDIR)$(SYSCONFDIR)/xdpguard 2>/dev/null || true

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)
