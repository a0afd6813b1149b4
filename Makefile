# cnif -- build the library, its Erlang support modules, tests, demo, bench.
#
#   make              libcnif.a, cnif.pc and the Erlang modules in build/
#   make demo         build and run the example NIF in a real erl
#   make test         EUnit and ExUnit suites against real NIFs
#   make test-asan    the same suites with the NIFs built under ASan/UBSan
#   make test-scaffold  generate rebar3 and mix projects, build and test them
#   make fuzz         every codec against generated and adversarial terms
#                     (fuzz-asan: under ASan/UBSan; docs/fuzzing.md)
#   make test-oom     every allocation cnif makes, failed in turn
#                     (test/oom/README.md)
#   make coverage     line and branch coverage of src/, with its threshold
#                     (docs/coverage.md)
#   make soak         10 minutes of every failure at once, then back to
#                     baseline (test/soak/README.md)
#   make fault-matrix docs/fault-matrix.md from the suite that asserts it
#   make bench        benchmarks against hand-written erl_nif code
#   make install PREFIX=/usr/local
#
# demo, test, test-asan and bench install missing Debian packages first
# (as root) or print the apt-get line to run.

VERSION    := $(shell sed -n 's/.*{vsn, "\(.*\)"}.*/\1/p' erlang/cnif.app.src)
PREFIX     ?= /usr/local
BUILD      ?= build
CC         ?= cc
SANITIZE   ?=
DEPS       := erlang-nox erlang-dev erlang-eunit elixir rebar3 gcc clang make binutils zlib1g-dev git

ERL_ROOT    = $(shell erl -noshell -eval 'io:format("~s", [code:root_dir()]), halt().')
ERL_INCLUDE = $(ERL_ROOT)/usr/include

WARN       := -Wall -Wextra -Werror
CFLAGS     ?= -O2 -g
ALL_CFLAGS  = -std=gnu11 -fPIC -fvisibility=hidden $(WARN) $(CFLAGS) $(SANITIZE) \
              -Iinclude -I$(ERL_INCLUDE)
# A NIF library exports nif_init alone, and leaves the enif_ functions to
# the VM that loads it: GNU ld (and lld) take the version script cnif.map,
# macOS's linker the list cnif.exports. TARGET_OS is the system the NIFs
# are built for (make build-macos sets it).
TARGET_OS  ?= $(shell uname -s)
ifeq ($(TARGET_OS),Darwin)
NIF_LINK    = -undefined dynamic_lookup -Wl,-exported_symbols_list,$(1)cnif.exports
else
NIF_LINK    = -Wl,--version-script=$(1)cnif.map
endif
NIF_LDFLAGS = -shared $(call NIF_LINK) $(SANITIZE)

LIB_SRC    := $(wildcard src/*.c)
LIB_OBJ     = $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
LIB         = $(BUILD)/libcnif.a
ERL_APP     = $(BUILD)/cnif
ERL_SRC    := $(wildcard erlang/*.erl)
ERL_BEAMS   = $(ERL_SRC:erlang/%.erl=$(ERL_APP)/ebin/%.beam)

.PHONY: all deps demo test test-asan bench install clean FORCE
all: $(LIB) $(BUILD)/cnif.pc erlang

deps:
	@sh scripts/ensure-deps.sh $(DEPS)

$(BUILD)/obj/%.o: src/%.c include/cnif.h src/internal.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# Regenerated every time: it records PREFIX, which can change between runs.
$(BUILD)/cnif.pc: cnif.pc.in FORCE
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@ERL_INCLUDE@|$(ERL_INCLUDE)|' -e 's|@NIF_LINK@|$(call NIF_LINK,$${libdir}/)|' $< > $@

# The NIF of cnif_handle.erl (the caller's side of an isolated module's
# resources), built with cnif itself: in priv/ of the application.
ERL_HANDLE  = $(ERL_APP)/priv/cnif_handle.so

.PHONY: erlang
erlang: $(ERL_BEAMS) $(ERL_APP)/ebin/cnif.app $(ERL_APP)/include/cnif.hrl $(ERL_HANDLE)

$(ERL_APP)/ebin/%.beam: erlang/%.erl
	@mkdir -p $(dir $@)
	erlc -o $(dir $@) $<

# The .app file: erlang/cnif.app.src with its module list filled in (rebar3
# and mix do the same from the same source).
ERL_MODULES = $(subst $(eval) ,$(comma),$(ERL_SRC:erlang/%.erl=%))
comma := ,
$(ERL_APP)/ebin/cnif.app: erlang/cnif.app.src $(ERL_SRC)
	@mkdir -p $(dir $@)
	sed 's/{modules, \[\]}/{modules, [$(ERL_MODULES)]}/' $< > $@

$(ERL_APP)/include/cnif.hrl: include/cnif.hrl
	@mkdir -p $(dir $@)
	cp $< $@

# A NIF shared object from one C file, linked against libcnif.a.
# Used by the tests, the demo and the bench: $(call nif,OUT,SRC)
define nif_rule
$(1): $(2) $(LIB) include/cnif.h cnif.map cnif.exports
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $(3) $(2) $(LIB) $$(NIF_LDFLAGS) -o $$@
endef

$(eval $(call nif_rule,$(ERL_HANDLE),erlang/cnif_handle.c))

include docs/docs.mk
include test/test.mk
include examples/examples.mk
include bench/bench.mk

# Generated projects: every templates/FLAVOUR.mk adds a target to
# SCAFFOLD_TESTS that generates a project with scripts/cnif-new, builds it
# and runs its tests with its own tool (rebar3, mix).
SCAFFOLD_TESTS :=
include $(wildcard templates/*.mk)
test-scaffold: deps all $(SCAFFOLD_TESTS)
.PHONY: test-scaffold

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/lib/erlang/lib/cnif-$(VERSION)/ebin \
	    $(DESTDIR)$(PREFIX)/lib/erlang/lib/cnif-$(VERSION)/include \
	    $(DESTDIR)$(PREFIX)/lib/erlang/lib/cnif-$(VERSION)/priv
	install -m 644 include/cnif.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(LIB) cnif.map cnif.exports $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(BUILD)/cnif.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 $(ERL_APP)/ebin/* $(DESTDIR)$(PREFIX)/lib/erlang/lib/cnif-$(VERSION)/ebin/
	install -m 644 $(ERL_APP)/include/cnif.hrl $(DESTDIR)$(PREFIX)/lib/erlang/lib/cnif-$(VERSION)/include/
	install -m 755 $(ERL_HANDLE) $(DESTDIR)$(PREFIX)/lib/erlang/lib/cnif-$(VERSION)/priv/

FORCE:

clean:
	rm -rf $(BUILD) build-asan
