# The mix flavour of scripts/cnif-new: generate a project, then build and
# test it with mix exactly as generated, in a clone of it
# (templates/scaffold.mk). Mix's home is a fresh directory, so no Hex or
# other archive is available, and any attempt to install one (a prompt)
# reads end of input and fails the run.
MIX_SCAFFOLD      = $(abspath $(BUILD))/scaffold-mix
MIX_SCAFFOLD_HOME = $(MIX_SCAFFOLD)/home
MIX_SCAFFOLD_RUN  = cd $(MIX_SCAFFOLD)/clone/fast_math && MIX_HOME=$(MIX_SCAFFOLD_HOME) \
                    HEX_HOME=$(MIX_SCAFFOLD_HOME)/hex HEX_OFFLINE=1 mix

scaffold-mix:
	$(call scaffold_generate,$(MIX_SCAFFOLD),mix,fast_math)
	$(call scaffold_clone,$(MIX_SCAFFOLD),fast_math)
	$(MIX_SCAFFOLD_RUN) compile --warnings-as-errors < /dev/null
	$(MIX_SCAFFOLD_RUN) test --warnings-as-errors < /dev/null
	$(MIX_SCAFFOLD_RUN) format --check-formatted < /dev/null
	@test ! -e $(MIX_SCAFFOLD_HOME)/archives || { echo "scaffold-mix: mix installed archives (Hex?)" >&2; exit 1; }
	$(call scaffold_clean,$(MIX_SCAFFOLD),fast_math)

SCAFFOLD_TESTS += scaffold-mix
.PHONY: scaffold-mix
