# Fuzzing the codecs (docs/fuzzing.md): arbitrary and adversarial terms
# thrown at one NIF per codec (test/fuzz/fuzz_nif.c), each outcome checked
# against an Erlang model of the type.
#
#   make fuzz         FUZZ_N terms (default 200000), fixed seed: the CI run
#   make fuzz-asan    the same with ASan/UBSan, FUZZ_ASAN_N terms (50000)
#   FUZZ_N=10000000 make fuzz                     the long run
#   FUZZ_SEED=7 FUZZ_REPLAY=echo_doc:1234 make fuzz   one case again
#
# The other knobs are read from the environment by fuzz.erl: FUZZ_ONLY,
# FUZZ_JOBS, FUZZ_TIMEOUT, FUZZ_TRACE (see docs/fuzzing.md).
FUZZ_DIR     = $(BUILD)/fuzz
FUZZ_N      ?= 200000
FUZZ_ASAN_N ?= 50000
FUZZ_SEED   ?= 1
FUZZ_MODULES := fuzz fuzz_gen fuzz_model fuzz_nif
FUZZ_BEAMS    = $(FUZZ_MODULES:%=$(FUZZ_DIR)/ebin/%.beam)

$(eval $(call nif_rule,$(FUZZ_DIR)/priv/fuzz_nif.so,test/fuzz/fuzz_nif.c))

$(FUZZ_DIR)/ebin/%.beam: test/fuzz/%.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(dir $@) $<

fuzz-build: all $(FUZZ_DIR)/priv/fuzz_nif.so $(FUZZ_BEAMS)

fuzz: deps
	@sh scripts/ensure-deps.sh erlang-proper
	@$(MAKE) --no-print-directory fuzz-build
	$(ERL_RUN_ENV) ERL_LIBS=$(BUILD) FUZZ_N=$(FUZZ_N) FUZZ_SEED=$(FUZZ_SEED) \
	    erl -noshell -pa $(FUZZ_DIR)/ebin -eval 'fuzz:main()'

# As test-asan, in its build: the library and the NIF under ASan and UBSan,
# libasan preloaded into a BEAM that was not built with it.
fuzz-asan: deps
	@$(MAKE) --no-print-directory fuzz BUILD=build-asan SANITIZE="$(ASAN_FLAGS)" \
	    CFLAGS="$(ASAN_CFLAGS)" FUZZ_N=$(FUZZ_ASAN_N) ERL_RUN_ENV="$(ASAN_RUN_ENV)"

.PHONY: fuzz fuzz-asan fuzz-build
