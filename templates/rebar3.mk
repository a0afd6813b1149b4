# make test-scaffold, rebar3 flavour: scripts/cnif-new rebar3 generates a
# project, and rebar3 compiles it and runs its EUnit tests as generated.
#
# rebar3 runs as a user's shell would: without this make's MAKEFLAGS (which
# would pass BUILD=... down to the hooks' make), and with a home, cache and
# global config of its own (no global plugins, nothing that reaches the
# network: cnif comes from the project's _checkouts link). After `all`, so
# that cnif's hook finds its library built rather than racing a -j build.
REBAR3_SCAFFOLD := $(abspath $(BUILD))/scaffold-rebar3
SCAFFOLD_TESTS  += scaffold-rebar3

scaffold-rebar3: deps all
	rm -rf $(REBAR3_SCAFFOLD)
	scripts/cnif-new rebar3 fast_math $(REBAR3_SCAFFOLD)/fast_math
	cd $(REBAR3_SCAFFOLD)/fast_math && unset MAKEFLAGS MFLAGS MAKELEVEL && \
	    export HOME=$(REBAR3_SCAFFOLD)/home REBAR_GLOBAL_CONFIG_DIR=$(REBAR3_SCAFFOLD)/home \
	           REBAR_CACHE_DIR=$(REBAR3_SCAFFOLD)/home/.cache/rebar3 && \
	    rebar3 compile && rebar3 eunit

.PHONY: scaffold-rebar3
