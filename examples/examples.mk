# The demo: examples/demo/demo.c as a NIF for the Erlang module `demo`.
DEMO_DIR := $(BUILD)/demo

$(eval $(call nif_rule,$(DEMO_DIR)/demo.so,examples/demo/demo.c))

$(DEMO_DIR)/%.beam: examples/demo/%.erl erlang
	@mkdir -p $(DEMO_DIR)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(DEMO_DIR) $<

demo: deps all $(DEMO_DIR)/demo.so $(DEMO_DIR)/demo.beam $(DEMO_DIR)/demo_run.beam
	@ERL_LIBS=$(BUILD) erl -noshell -pa $(DEMO_DIR) -eval 'demo_run:main(), halt().'

# The geometry example (examples/geometry): c_src/geometry_nif.c is built
# once per form of its types, each build the NIF library of its own Erlang
# module (records, maps, Elixir structs); lib/*.ex are the Elixir structs.
GEO_SRC   := examples/geometry
GEO_DIR   := $(BUILD)/geometry
GEO_C     := $(GEO_SRC)/c_src/geometry_nif.c $(GEO_SRC)/c_src/geometry.c
GEO_NIFS  := $(GEO_DIR)/priv/geometry.so $(GEO_DIR)/priv/geometry_maps.so \
             $(GEO_DIR)/priv/geometry_elixir.so
GEO_BEAMS := $(patsubst $(GEO_SRC)/src/%.erl,$(GEO_DIR)/ebin/%.beam,$(wildcard $(GEO_SRC)/src/*.erl))
GEO_EX    := $(GEO_DIR)/ebin/Elixir.Geometry.beam
GEO_TESTS := $(GEO_DIR)/test/geometry_tests.beam
GEO_ERLC   = erlc -pa $(ERL_APP)/ebin -I $(BUILD) -I $(GEO_SRC)/include -o $(dir $@) $<

$(eval $(call nif_rule,$(GEO_DIR)/priv/geometry.so,$(GEO_C),-DGEOMETRY_RECORDS))
$(eval $(call nif_rule,$(GEO_DIR)/priv/geometry_maps.so,$(GEO_C),-DGEOMETRY_MAPS))
$(eval $(call nif_rule,$(GEO_DIR)/priv/geometry_elixir.so,$(GEO_C),-DGEOMETRY_ELIXIR))
$(GEO_NIFS): $(GEO_SRC)/c_src/geometry.h

$(GEO_DIR)/ebin/%.beam: $(GEO_SRC)/src/%.erl $(GEO_SRC)/include/geometry.hrl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	$(GEO_ERLC)

$(GEO_DIR)/test/%.beam: $(GEO_SRC)/test/%.erl $(GEO_SRC)/include/geometry.hrl
	@mkdir -p $(dir $@)
	$(GEO_ERLC)

$(GEO_EX): $(wildcard $(GEO_SRC)/lib/*.ex)
	@mkdir -p $(dir $@)
	elixirc -o $(dir $@) $^

geometry-build: all $(GEO_NIFS) $(GEO_BEAMS) $(GEO_EX)

example-geometry: deps
	@$(MAKE) --no-print-directory geometry-build
	@ERL_LIBS=$(BUILD) erl -noshell -pa $(GEO_DIR)/ebin -eval 'geometry_run:main(), halt().'
	@ERL_LIBS=$(BUILD) elixir -pa $(GEO_DIR)/ebin $(GEO_SRC)/geometry_run.exs

# Its suites run with the others under make test (see test/test.mk).
test-build: geometry-build $(GEO_TESTS)
EXTRA_EUNIT_MODULES += geometry_tests
EXTRA_EXUNIT_FILES  += $(GEO_SRC)/test/geometry_test.exs
EXTRA_TEST_PATHS    += $(GEO_DIR)/ebin $(GEO_DIR)/test

.PHONY: geometry-build example-geometry

# The zlib example (examples/zlib): the system zlib bound as the Erlang
# module cnif_zlib, with an Elixir face (CnifZlib). The NIF links -lz after
# its objects (--as-needed drops a library named before its users), so the
# flag goes into this target's NIF_LDFLAGS, which nif_rule places last.
ZLIB_SRC   := examples/zlib
ZLIB_DIR   := $(BUILD)/zlib
ZLIB_NIF   := $(ZLIB_DIR)/priv/cnif_zlib.so
ZLIB_BEAMS := $(patsubst $(ZLIB_SRC)/src/%.erl,$(ZLIB_DIR)/ebin/%.beam,$(wildcard $(ZLIB_SRC)/src/*.erl))
ZLIB_EX    := $(ZLIB_DIR)/ebin/Elixir.CnifZlib.beam
ZLIB_TESTS := $(ZLIB_DIR)/test/cnif_zlib_tests.beam $(ZLIB_DIR)/test/cnif_zlib_isolated_tests.beam
ZLIB_ERLC   = erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(dir $@) $<

$(eval $(call nif_rule,$(ZLIB_NIF),$(ZLIB_SRC)/c_src/zlib_nif.c))
$(ZLIB_NIF): NIF_LDFLAGS += -lz

$(ZLIB_DIR)/ebin/%.beam: $(ZLIB_SRC)/src/%.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	$(ZLIB_ERLC)

$(ZLIB_DIR)/test/%.beam: $(ZLIB_SRC)/test/%.erl
	@mkdir -p $(dir $@)
	$(ZLIB_ERLC)

# elixirc loads cnif_zlib to check the calls into it, NIF library included
# (a sanitized one needs ERL_RUN_ENV's preload).
$(ZLIB_EX): $(wildcard $(ZLIB_SRC)/lib/*.ex) $(ZLIB_BEAMS) $(ZLIB_NIF)
	@mkdir -p $(dir $@)
	rm -f $(ZLIB_DIR)/ebin/Elixir.CnifZlib*.beam
	$(ERL_RUN_ENV) ERL_LIBS=$(BUILD) elixirc -pa $(ZLIB_DIR)/ebin -o $(dir $@) $(filter %.ex,$^)

zlib-build: all $(ZLIB_NIF) $(ZLIB_BEAMS) $(ZLIB_EX)

example-zlib: deps
	@$(MAKE) --no-print-directory zlib-build
	@ERL_LIBS=$(BUILD) erl -noshell -pa $(ZLIB_DIR)/ebin -eval 'cnif_zlib_run:main(), halt().'

# Its suites run with the others under make test (see test/test.mk).
test-build: zlib-build $(ZLIB_TESTS)
EXTRA_EUNIT_MODULES += cnif_zlib_tests cnif_zlib_isolated_tests
EXTRA_EXUNIT_FILES  += $(ZLIB_SRC)/test/cnif_zlib_test.exs
EXTRA_TEST_PATHS    += $(ZLIB_DIR)/ebin $(ZLIB_DIR)/test

.PHONY: zlib-build example-zlib
