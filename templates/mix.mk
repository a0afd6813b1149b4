# The mix flavour of scripts/cnif-new: generate a project, then build and
# test it with mix exactly as generated. Mix's home is a fresh directory in
# $(BUILD), so no Hex or other archive is available, and any attempt to
# install one (a prompt) reads end of input and fails the run.
MIX_SCAFFOLD      = $(BUILD)/scaffold/mix/fast_math
MIX_SCAFFOLD_HOME = $(abspath $(BUILD))/scaffold/mix/home
MIX_SCAFFOLD_RUN  = cd $(MIX_SCAFFOLD) && MIX_HOME=$(MIX_SCAFFOLD_HOME) HEX_HOME=$(MIX_SCAFFOLD_HOME)/hex \
                    HEX_OFFLINE=1 mix

scaffold-mix:
	rm -rf $(MIX_SCAFFOLD) $(MIX_SCAFFOLD_HOME)
	sh scripts/cnif-new mix fast_math $(MIX_SCAFFOLD)
	$(MIX_SCAFFOLD_RUN) compile --warnings-as-errors < /dev/null
	$(MIX_SCAFFOLD_RUN) test --warnings-as-errors < /dev/null
	$(MIX_SCAFFOLD_RUN) format --check-formatted < /dev/null
	@test ! -e $(MIX_SCAFFOLD_HOME)/archives || { echo "scaffold-mix: mix installed archives (Hex?)" >&2; exit 1; }

SCAFFOLD_TESTS += scaffold-mix
.PHONY: scaffold-mix
