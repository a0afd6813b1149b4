# The test suites: every test/nifs/NAME.c becomes the NIF library NAME.so
# for the Erlang module NAME; every test/*.erl is compiled; the modules
# named *_tests run under EUnit, then test/elixir/*_test.exs under ExUnit.
TEST_DIR      := $(BUILD)/test
TEST_NIF_SRC  := $(wildcard test/nifs/*.c)
TEST_NIFS      = $(TEST_NIF_SRC:test/nifs/%.c=$(TEST_DIR)/priv/%.so)
TEST_ERL_SRC  := $(wildcard test/*.erl)
TEST_BEAMS     = $(TEST_ERL_SRC:test/%.erl=$(TEST_DIR)/ebin/%.beam)
EUNIT_MODULES := $(shell for f in test/*_tests.erl; do basename $$f .erl; done | paste -sd, -)
EXUNIT_FILES  := $(wildcard test/elixir/*_test.exs)

# Set by test-asan: how to start a BEAM that can load sanitized NIFs.
ERL_RUN_ENV   ?=
# How many crashes in a row isolated_tests makes: 1,000 here, fewer in the
# other builds of the suites, which run the same path (isolated_tests).
ISO_CRASHES   ?= 1000
# How hard the other stress loops push, in percent (test/stress.erl): all
# of it here; less under the sanitizers, in coverage's build and on the
# other OTPs, which run the same paths.
STRESS        ?= 100

# Suites kept elsewhere (examples/) join in: their makefiles add
# prerequisites to test-build and append to EXTRA_EUNIT_MODULES,
# EXTRA_EXUNIT_FILES and EXTRA_TEST_PATHS (code path directories).
comma         := ,
EXTRA_PA       = $(addprefix -pa ,$(EXTRA_TEST_PATHS))

$(foreach s,$(TEST_NIF_SRC),$(eval $(call nif_rule,$(TEST_DIR)/priv/$(notdir $(s:.c=.so)),$(s))))
# fault_ex_no_quarantine.c and iso_ex.c are fault_ex.c built for other
# modules; iso_remote.c, iso_pool.c, iso_mem.c and iso_local.c are
# iso_nif.c, and those modules list its NIFs from test/iso_nifs.hrl.
ISO_NIF_MODULES := iso_nif iso_remote iso_pool iso_mem iso_local
$(TEST_DIR)/priv/fault_ex_no_quarantine.so $(TEST_DIR)/priv/iso_ex.so: test/nifs/fault_ex.c
$(ISO_NIF_MODULES:%=$(TEST_DIR)/priv/%.so): test/nifs/iso_nif.c
$(ISO_NIF_MODULES:%=$(TEST_DIR)/ebin/%.beam): test/iso_nifs.hrl
$(TEST_DIR)/priv/transform_nif.so $(TEST_DIR)/priv/use_cnif.so: test/nifs/first_line.h

$(TEST_DIR)/ebin/%.beam: test/%.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(dir $@) $<

# How this build makes a NIF library, as Erlang terms, for the suites that
# build C code of their own (doc_tests, reload_tests): FORCE, since CC and
# the flags can change between runs.
define nif_build_config
@mkdir -p $(dir $@)
@printf '{%s, "%s"}.\n' cc '$(CC)' cflags '$(ALL_CFLAGS)' lib '$(LIB)' \
    ldflags '$(NIF_LDFLAGS)' > $@
endef
$(TEST_DIR)/nif_build.config: FORCE
	$(nif_build_config)

test-build: all $(TEST_NIFS) $(TEST_BEAMS) $(TEST_DIR)/nif_build.config
include $(wildcard test/*/*.mk) # suites with build rules of their own (test/NAME/NAME.mk)

# init:stop, not halt: the node stops its applications, so the pools of
# isolated modules let their workers exit cleanly (a coverage build's
# workers then write their counts).
test: deps
	@$(MAKE) --no-print-directory test-build
	$(ERL_RUN_ENV) ISO_CRASHES=$(ISO_CRASHES) STRESS=$(STRESS) ERL_LIBS=$(BUILD) TEST_PRIV=$(TEST_DIR)/priv erl -noshell -pa $(TEST_DIR)/ebin $(EXTRA_PA) \
	    -eval 'case eunit:test([$(EUNIT_MODULES)$(addprefix $(comma),$(EXTRA_EUNIT_MODULES))], []) of ok -> init:stop(0); _ -> init:stop(1) end.'
	$(ERL_RUN_ENV) ERL_LIBS=$(BUILD) TEST_PRIV=$(TEST_DIR)/priv elixir -pa $(TEST_DIR)/ebin $(EXTRA_PA) \
	    -r test/elixir/test_helper.exs $(addprefix -r ,$(EXUNIT_FILES) $(EXTRA_EXUNIT_FILES)) -e ''

# The same suites with the library and test NIFs under ASan and UBSan,
# registering NIFs and types the portable way (constructors and lists), as
# on platforms that are not ELF: the one path with pointers to get wrong
# runs under the sanitizers, and CI runs the suites once less (the other
# builds register by ELF sections). The BEAM is not built with ASan, so
# libasan is preloaded; its own allocations at exit are not ours, so leak
# detection is left off. An allocation too large to satisfy must return
# NULL, as malloc's does: cnif's out-of-memory paths are under test too.
# fuzz-asan builds in the same build-asan with the same flags: make does not
# see flags change, and would link objects built with the other's.
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_CFLAGS := -O1 -g -DCNIF_PORTABLE_REGISTRATION
ASAN_RUN_ENV = LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1
test-asan: deps
	@$(MAKE) --no-print-directory test BUILD=build-asan SANITIZE="$(ASAN_FLAGS)" \
	    CFLAGS="$(ASAN_CFLAGS)" ISO_CRASHES=24 STRESS=30 ERL_RUN_ENV="$(ASAN_RUN_ENV)"

# The same suites built with clang, as strict as gcc (-Wall -Wextra -Werror).
test-clang: deps
	@$(MAKE) --no-print-directory test BUILD=build-clang CC=clang ISO_CRASHES=24

.PHONY: test-build test-clang
