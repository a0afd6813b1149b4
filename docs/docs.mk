# What is generated from the sources for users (included by the Makefile):
#
#   make amalgamate   $(BUILD)/amalgamated/cnif.h: the header and the whole
#                     library in one stb-style file (scripts/amalgamate);
#                     beside it cnif.map, cnif.exports, and the Erlang and
#                     Elixir side as cnif_vendored.erl, .hrl and .ex
#                     (scripts/vendor): a project that copies these needs
#                     no dependency at all
#   make docs         docs/reference.md from the comments of include/cnif.h
#                     (scripts/gen-reference); make test fails while the
#                     committed one is out of date. Both fail, naming it,
#                     on a public declaration with no comment of its own
AMALGAMATED := $(BUILD)/amalgamated/cnif.h

$(AMALGAMATED): scripts/amalgamate include/cnif.h src/internal.h $(LIB_SRC) erlang/cnif.app.src
	@mkdir -p $(dir $@)
	sh scripts/amalgamate > $@.tmp
	mv $@.tmp $@

AMALG_VENDORED := $(addprefix $(BUILD)/amalgamated/,cnif.map cnif.exports \
                  cnif_vendored.erl cnif_vendored.hrl cnif_vendored.ex)

$(BUILD)/amalgamated/cnif.map $(BUILD)/amalgamated/cnif.exports: $(BUILD)/amalgamated/%: %
	@mkdir -p $(dir $@)
	cp $< $@

# One run writes all three.
$(BUILD)/amalgamated/cnif_vendored.erl: scripts/vendor erlang/cnif.app.src $(ERL_SRC) \
                                        elixir/cnif.ex elixir/cnif/error.ex
	scripts/vendor . $(dir $@)
$(BUILD)/amalgamated/cnif_vendored.hrl $(BUILD)/amalgamated/cnif_vendored.ex: \
    $(BUILD)/amalgamated/cnif_vendored.erl

amalgamate: $(AMALGAMATED) $(AMALG_VENDORED)

docs:
	sh scripts/gen-reference include/cnif.h > docs/reference.md.tmp \
	    || { rm -f docs/reference.md.tmp; exit 1; }
	mv docs/reference.md.tmp docs/reference.md

.PHONY: amalgamate docs
