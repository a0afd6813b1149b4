# The documentation's tests (see doctest.erl for the sample convention):
# doc_tests runs with the other EUnit suites under make test; `make
# doctest` runs it alone. The compiler settings the samples are built with
# are written to doctest.config beside the modules.
DOC_DIR   := $(BUILD)/doc
DOC_BEAMS := $(DOC_DIR)/ebin/doctest.beam $(DOC_DIR)/ebin/doc_tests.beam

$(DOC_DIR)/ebin/%.beam: test/doc/%.erl
	@mkdir -p $(dir $@)
	erlc -o $(dir $@) $<

$(DOC_DIR)/doctest.config: FORCE
	$(nif_build_config)

test-build: $(DOC_BEAMS) $(DOC_DIR)/doctest.config
EXTRA_EUNIT_MODULES += doc_tests
EXTRA_TEST_PATHS    += $(DOC_DIR)/ebin

doctest: deps
	@$(MAKE) --no-print-directory all $(DOC_BEAMS) $(DOC_DIR)/doctest.config
	$(ERL_RUN_ENV) ERL_LIBS=$(BUILD) erl -noshell -pa $(DOC_DIR)/ebin \
	    -eval 'case eunit:test(doc_tests, [verbose]) of ok -> halt(0); _ -> halt(1) end.'

.PHONY: doctest
