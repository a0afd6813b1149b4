# make test-scaffold, rebar3 flavour: scripts/cnif-new rebar3 generates a
# project, and rebar3 compiles it and runs its EUnit tests as generated, in
# a clone of it (templates/scaffold.mk).
#
# rebar3 runs as a user's shell would: without this make's MAKEFLAGS (which
# would pass BUILD=... down to the hooks' make), and with a home, cache and
# global config of its own (no global plugins, nothing that reaches the
# network: cnif comes from the project's _checkouts link).
REBAR3_SCAFFOLD := $(abspath $(BUILD))/scaffold-rebar3
SCAFFOLD_TESTS  += scaffold-rebar3

scaffold-rebar3: deps
	$(call scaffold_generate,$(REBAR3_SCAFFOLD),rebar3,fast_math)
	$(call scaffold_clone,$(REBAR3_SCAFFOLD),fast_math)
	cd $(REBAR3_SCAFFOLD)/clone/fast_math && unset MAKEFLAGS MFLAGS MAKELEVEL && \
	    export HOME=$(REBAR3_SCAFFOLD)/home REBAR_GLOBAL_CONFIG_DIR=$(REBAR3_SCAFFOLD)/home \
	           REBAR_CACHE_DIR=$(REBAR3_SCAFFOLD)/home/.cache/rebar3 && \
	    rebar3 compile && rebar3 eunit
	$(call scaffold_clean,$(REBAR3_SCAFFOLD),fast_math)

.PHONY: scaffold-rebar3
