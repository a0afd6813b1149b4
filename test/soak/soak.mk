# make soak: the soak test (test/soak/soak.erl), not part of make test or CI.
# SOAK_SECONDS (default 600) is how long the main phase runs.
#
# soak_nif is built in two versions from one source, each .beam beside the
# library its -cnif_lib names, so the soak can load one over the other:
#   $(TEST_DIR)/soak/vN/soak_nif.beam, soak_nif_vN.so
# make test builds them too (so they keep compiling) but does not run them.
SOAK_DIR     := $(TEST_DIR)/soak
SOAK_SO       = $(foreach v,1 2,$(SOAK_DIR)/v$(v)/soak_nif_v$(v).so)
SOAK_BEAMS    = $(foreach v,1 2,$(SOAK_DIR)/v$(v)/soak_nif.beam) $(SOAK_DIR)/ebin/soak.beam
SOAK_SECONDS ?= 600

$(foreach v,1 2,$(eval $(call nif_rule,$(SOAK_DIR)/v$(v)/soak_nif_v$(v).so,test/soak/soak_nif.c,-DVERSION=$(v))))

$(SOAK_DIR)/v%/soak_nif.beam: test/soak/soak_nif.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) '-DLIB="soak_nif_v$*"' -o $(dir $@) $<

$(SOAK_DIR)/ebin/soak.beam: test/soak/soak.erl
	@mkdir -p $(dir $@)
	erlc -o $(dir $@) $<

soak-build: all $(SOAK_SO) $(SOAK_BEAMS)
test-build: soak-build

soak: deps
	@$(MAKE) --no-print-directory soak-build
	ERL_LIBS=$(BUILD) erl -noshell -pa $(SOAK_DIR)/ebin \
	    -eval 'soak:main("$(SOAK_DIR)", $(SOAK_SECONDS))'

.PHONY: soak soak-build
