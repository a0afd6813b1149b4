# The demo: examples/demo/demo.c as a NIF for the Erlang module `demo`.
DEMO_DIR := $(BUILD)/demo

$(eval $(call nif_rule,$(DEMO_DIR)/demo.so,examples/demo/demo.c))

$(DEMO_DIR)/%.beam: examples/demo/%.erl erlang
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
