# make test-scaffold, rebar3 flavour: scripts/cnif-new rebar3 generates a
# project, and rebar3 compiles it and runs its EUnit tests as generated.
#
# rebar3 runs as a user's shell would: without this make's MAKEFLAGS (which
# would pass BUILD=... down to the hooks' make), and with a home, cache and
# global config of its own (no global plugins, nothing that reaches the
# network: cnif comes from the project's _checkouts link).
#
# The link is made to point at a copy of this tree's sources in
# $(REBAR3_SCAFFOLD)/cnif, as a fresh checkout would be: cnif's hook builds
# in the checkout (build/, priv/), and this tree's own build/ may belong to
# another OTP (make test-otp runs this in a chroot) or to a build running
# at the same time.
REBAR3_SCAFFOLD := $(abspath $(BUILD))/scaffold-rebar3
SCAFFOLD_TESTS  += scaffold-rebar3

scaffold-rebar3: deps
	rm -rf $(REBAR3_SCAFFOLD)
	mkdir -p $(REBAR3_SCAFFOLD)/cnif
	tar -c --exclude='./build*' --exclude=$(patsubst $(CURDIR)/%,./%,$(abspath $(BUILD))) \
	    --exclude=./priv --exclude=./.git . | tar -x -C $(REBAR3_SCAFFOLD)/cnif
	scripts/cnif-new rebar3 fast_math $(REBAR3_SCAFFOLD)/fast_math
	ln -sfn $(REBAR3_SCAFFOLD)/cnif $(REBAR3_SCAFFOLD)/fast_math/_checkouts/cnif
	cd $(REBAR3_SCAFFOLD)/fast_math && unset MAKEFLAGS MFLAGS MAKELEVEL && \
	    export HOME=$(REBAR3_SCAFFOLD)/home REBAR_GLOBAL_CONFIG_DIR=$(REBAR3_SCAFFOLD)/home \
	           REBAR_CACHE_DIR=$(REBAR3_SCAFFOLD)/home/.cache/rebar3 && \
	    rebar3 compile && rebar3 eunit

.PHONY: scaffold-rebar3
