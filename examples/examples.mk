# The demo: examples/demo/demo.c as a NIF for the Erlang module `demo`.
DEMO_DIR := $(BUILD)/demo

$(eval $(call nif_rule,$(DEMO_DIR)/demo.so,examples/demo/demo.c))

$(DEMO_DIR)/%.beam: examples/demo/%.erl erlang
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(DEMO_DIR) $<

demo: deps all $(DEMO_DIR)/demo.so $(DEMO_DIR)/demo.beam $(DEMO_DIR)/demo_run.beam
	@ERL_LIBS=$(BUILD) erl -noshell -pa $(DEMO_DIR) -eval 'demo_run:main(), halt().'
