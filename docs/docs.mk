# What is generated from the sources for users (included by the Makefile):
#
#   make amalgamate   $(BUILD)/amalgamated/cnif.h: the header and the whole
#                     library in one stb-style file (scripts/amalgamate)
#   make docs         docs/reference.md from the comments of include/cnif.h
#                     (scripts/gen-reference); make test fails while the
#                     committed one is out of date. Both fail, naming it,
#                     on a public declaration with no comment of its own
AMALGAMATED := $(BUILD)/amalgamated/cnif.h

$(AMALGAMATED): scripts/amalgamate include/cnif.h src/internal.h $(LIB_SRC) erlang/cnif.app.src
	@mkdir -p $(dir $@)
	sh scripts/amalgamate > $@.tmp
	mv $@.tmp $@

amalgamate: $(AMALGAMATED)

docs:
	sh scripts/gen-reference include/cnif.h > docs/reference.md.tmp \
	    || { rm -f docs/reference.md.tmp; exit 1; }
	mv docs/reference.md.tmp docs/reference.md

.PHONY: amalgamate docs
