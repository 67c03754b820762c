# SPDX-License-Identifier: MIT
# mechviz -- a Jupyter kernel in C for mechanistic-interpretability visualisation.
# `make help` lists the targets. Every build variant has its own directory (BUILD), so
# sanitizer objects never mix with normal ones.

PREFIX    ?= $(HOME)/.local
DESTDIR   ?=
BUILD     ?= build
V         ?= 0
WERROR    ?= 0
SANITIZE  ?=
PYTHON    ?= /usr/bin/python3
ASAN_BUILD ?= build-asan
VALGRIND_BUILD ?= build-valgrind
CC        ?= cc

PKGS      := libzmq jansson libsodium cairo pangocairo zlib openblas lapacke
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wformat=2 -Wundef -Wvla -Wdouble-promotion -Wno-format-nonliteral
OPT       ?= -O2 -g
CFLAGS    ?=
CFLAGS    += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) $(WARN) -MMD -MP \
             -Isrc -I$(BUILD) $(PKG_CFLAGS)
ifeq ($(WERROR),1)
CFLAGS    += -Werror
endif
ifneq ($(SANITIZE),)
CFLAGS    += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=$(SANITIZE)
endif
LDLIBS    += $(PKG_LIBS) -lpthread -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

SRCS      := $(sort $(wildcard src/*.c))
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB       := $(BUILD)/libmechviz.a
KERNEL    := $(BUILD)/mechviz-kernel
JS_FILES  := $(wildcard js/*.js js/*.css)
EMBED_H   := $(BUILD)/widget_js.h

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
CASES_BIN := $(BUILD)/tests/run_cases
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAY_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/replay_%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=build-fuzz/fuzz_%)

.PHONY: all check test test-unit test-protocol test-browser test-examples asan valgrind \
        fuzz format format-check install uninstall demo bench clean help

all: $(KERNEL)

help:
	@echo "make                 build $(KERNEL)"
	@echo "make test            every test: unit, cases, fuzz replay, asan, protocol, browser, notebooks"
	@echo "make check           C unit tests, language cases and fuzz-corpus replay"
	@echo "make test-protocol   protocol tests through jupyter_client (pytest)"
	@echo "make test-browser    widget tests in headless chromium"
	@echo "make test-examples   execute examples/notebooks headless"
	@echo "make asan            build in build-asan/ with ASan+UBSan and run check"
	@echo "make valgrind        run the unit tests under valgrind"
	@echo "make fuzz            build libFuzzer targets with clang in build-fuzz/"
	@echo "make bench           measure against numpy, scikit-learn and ipykernel"
	@echo "make demo            install into ./build/prefix, make demo data, start Jupyter"
	@echo "make install         install binary and kernelspec under PREFIX (default ~/.local)"
	@echo "make format          clang-format every C file; format-check verifies"
	@echo "Variables: PREFIX DESTDIR V=1 WERROR=1 HEADLESS=1"

# --- build ------------------------------------------------------------------------------

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/obj
	@$(if $(filter 1,$(V)),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz build-fuzz:
	$(Q)mkdir -p $@

$(EMBED_H): $(JS_FILES) tools/embed.sh | $(BUILD)/obj
	@$(if $(filter 1,$(V)),,echo "  EMBED   $@")
	$(Q)sh tools/embed.sh $@ $(JS_FILES)

$(LIB_OBJS): $(EMBED_H)

$(LIB): $(LIB_OBJS)
	@$(if $(filter 1,$(V)),,echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(KERNEL): $(BUILD)/obj/main.o $(LIB)
	@$(if $(filter 1,$(V)),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(LIB) | $(BUILD)/tests
	@$(if $(filter 1,$(V)),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(CASES_BIN): tests/unit/run_cases.c $(LIB) | $(BUILD)/tests
	@$(if $(filter 1,$(V)),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(LIB) | $(BUILD)/fuzz
	@$(if $(filter 1,$(V)),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -o $@ $< tests/fuzz/replay.c $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/load_bench: bench/load_bench.c $(LIB)
	$(Q)mkdir -p $(BUILD)/bench
	@$(if $(filter 1,$(V)),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d $(BUILD)/fuzz/*.d)

# --- tests ------------------------------------------------------------------------------

TEST_BINS := $(UNIT_BINS) $(if $(wildcard tests/unit/run_cases.c),$(CASES_BIN)) $(REPLAY_BINS)

check: $(KERNEL) $(TEST_BINS)
	$(Q)sh tests/run_check.sh $(BUILD) "$(CHECK_WRAP)"

asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) OPT="-O1 -g" \
	    SANITIZE=address,undefined WERROR=$(WERROR) check

valgrind:
	$(Q)$(MAKE) --no-print-directory BUILD=$(VALGRIND_BUILD) OPT="-O0 -g" WERROR=$(WERROR) \
	    CHECK_WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --suppressions=tests/valgrind.supp" check

test-protocol: $(KERNEL)
	$(Q)sh tests/protocol/run.sh $(BUILD)

test-browser: $(KERNEL)
	$(Q)sh tests/browser/run.sh $(BUILD)

test-examples: $(KERNEL)
	$(Q)sh tests/run_examples.sh $(BUILD)

test:
	$(Q)ASAN_BUILD=$(ASAN_BUILD) sh tests/run_all.sh $(BUILD)

fuzz: | build-fuzz
	$(Q)sh tools/embed.sh build-fuzz/widget_js.h $(JS_FILES)
	$(Q)for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
	  echo "  FUZZ    build-fuzz/$$n"; \
	  clang -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 \
	    -fsanitize=fuzzer,address,undefined -Isrc -Ibuild-fuzz $(PKG_CFLAGS) \
	    -o build-fuzz/$$n $$f $(LIB_SRCS) $(PKG_LIBS) -lpthread -lm || exit 1; done
	@echo "run e.g.: mkdir -p build-fuzz/new-npy && build-fuzz/fuzz_npy -max_total_time=60 build-fuzz/new-npy tests/fuzz/corpus/npy"
	@echo "(new inputs go to the first directory; copy crashes into tests/fuzz/corpus/ by hand)"

# --- install, demo, bench ---------------------------------------------------------------

KSPEC_DIR := $(DESTDIR)$(PREFIX)/share/jupyter/kernels/mechviz

install: $(KERNEL)
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin $(KSPEC_DIR)
	$(Q)install -m 755 $(KERNEL) $(DESTDIR)$(PREFIX)/bin/mechviz-kernel
	$(Q)sed 's|@BINARY@|$(abspath $(PREFIX))/bin/mechviz-kernel|' \
	    kernelspec/kernel.json.in > $(KSPEC_DIR)/kernel.json
	$(Q)install -m 644 kernelspec/logo-32x32.png kernelspec/logo-64x64.png $(KSPEC_DIR)/
	@echo "installed $(DESTDIR)$(PREFIX)/bin/mechviz-kernel and $(KSPEC_DIR)/kernel.json"

uninstall:
	$(Q)rm -rf $(DESTDIR)$(PREFIX)/bin/mechviz-kernel $(KSPEC_DIR)

demo:
	$(Q)BUILD=$(BUILD) sh tools/demo.sh

bench: $(KERNEL)
	$(Q)sh bench/run.sh $(BUILD)

format:
	$(Q)git ls-files '*.[ch]' | xargs clang-format -i

format-check:
	$(Q)git ls-files '*.[ch]' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build build-asan build-valgrind build-fuzz
