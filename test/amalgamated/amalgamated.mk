# The single header as a drop-in: examples/demo and the geometry example
# built from $(AMALGAMATED) alone (no libcnif.a, no include/), one C file
# of their own defining CNIF_IMPLEMENTATION. amalgamated_tests loads them:
# demo into the test VM, geometry (whose module names the main build uses
# too) into a VM of its own that runs geometry_tests.
AMALG_DIR    := $(BUILD)/amalgamated
AMALG_IMPL   := $(AMALG_DIR)/cnif_impl.c
AMALG_CFLAGS  = -std=gnu11 -fPIC $(WARN) $(CFLAGS) $(SANITIZE) -I$(AMALG_DIR) -I$(ERL_INCLUDE)
AMALG_GEO    := $(AMALG_DIR)/geometry
AMALG_GEO_SRC := examples/geometry
AMALG_SO     := $(AMALG_DIR)/demo/demo.so $(AMALG_GEO)/priv/geometry.so $(AMALG_GEO)/priv/geometry_maps.so
AMALG_BEAMS  := $(AMALG_DIR)/demo/demo.beam $(AMALG_DIR)/ebin/amalgamated_tests.beam \
                $(addprefix $(AMALG_GEO)/ebin/,geometry.beam geometry_maps.beam geometry_tests.beam)

$(AMALG_IMPL):
	@mkdir -p $(dir $@)
	printf '#define CNIF_IMPLEMENTATION\n#include <cnif.h>\n' > $@

# $(call amalg_nif_rule,OUT,SRC,FLAGS): as nif_rule, from the one header.
define amalg_nif_rule
$(1): $(2) $(AMALG_IMPL) $(AMALGAMATED) cnif.map cnif.exports
	@mkdir -p $$(dir $$@)
	$$(CC) $$(AMALG_CFLAGS) $(3) $(AMALG_IMPL) $(2) $$(NIF_LDFLAGS) -o $$@
endef
AMALG_GEO_C := $(AMALG_GEO_SRC)/c_src/geometry_nif.c $(AMALG_GEO_SRC)/c_src/geometry.c
$(eval $(call amalg_nif_rule,$(AMALG_DIR)/demo/demo.so,examples/demo/demo.c))
$(eval $(call amalg_nif_rule,$(AMALG_GEO)/priv/geometry.so,$(AMALG_GEO_C),-DGEOMETRY_RECORDS))
$(eval $(call amalg_nif_rule,$(AMALG_GEO)/priv/geometry_maps.so,$(AMALG_GEO_C),-DGEOMETRY_MAPS))

# Clang too, where it is installed: the header must build warning-free
# with both compilers. (Built only: a VM loads one library per module.)
AMALG_CLANG := $(shell command -v clang 2>/dev/null)
ifneq ($(AMALG_CLANG),)
AMALG_SO += $(AMALG_DIR)/clang/demo.so
$(AMALG_DIR)/clang/demo.so: examples/demo/demo.c $(AMALG_IMPL) $(AMALGAMATED) cnif.map cnif.exports
	@mkdir -p $(dir $@)
	$(AMALG_CLANG) $(AMALG_CFLAGS) $(AMALG_IMPL) $< $(NIF_LDFLAGS) -o $@
endif

$(AMALG_DIR)/demo/demo.beam: examples/demo/demo.erl $(ERL_BEAMS)
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(dir $@) $<

$(AMALG_GEO)/ebin/%.beam: $(AMALG_GEO_SRC)/src/%.erl $(ERL_BEAMS)
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -I $(AMALG_GEO_SRC)/include -o $(dir $@) $<
$(AMALG_GEO)/ebin/geometry_tests.beam: $(AMALG_GEO_SRC)/test/geometry_tests.erl
	@mkdir -p $(dir $@)
	erlc -I $(AMALG_GEO_SRC)/include -o $(dir $@) $<

$(AMALG_DIR)/ebin/%.beam: test/amalgamated/%.erl
	@mkdir -p $(dir $@)
	erlc -o $(dir $@) $<

test-build: $(AMALG_SO) $(AMALG_BEAMS)
EXTRA_EUNIT_MODULES += amalgamated_tests
EXTRA_TEST_PATHS    += $(AMALG_DIR)/ebin

# vendored_tests builds a project from the vendored files of `make
# amalgamate` and its fixtures (test/amalgamated/vendored/) with plain
# erlc and cc, and runs it in a VM with no cnif on the code path: how this
# build compiles C, for those commands.
$(AMALG_DIR)/vendored.config: FORCE
	@mkdir -p $(dir $@)
	@printf '{%s, "%s"}.\n' cc '$(CC)' cflags '-std=gnu11 -fPIC $(WARN) $(CFLAGS) $(SANITIZE) -I$(ERL_INCLUDE)' \
	    ldflags '$(NIF_LDFLAGS)' fixtures '$(CURDIR)/test/amalgamated/vendored' > $@

test-build: $(AMALG_VENDORED) $(AMALG_DIR)/vendored.config $(AMALG_DIR)/ebin/vendored_tests.beam
EXTRA_EUNIT_MODULES += vendored_tests
