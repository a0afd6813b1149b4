# The fault matrix (test/fault_matrix_tests.erl, which make test runs with
# the other suites) and its document:
#
#   make fault-matrix   write docs/fault-matrix.md from what the suite
#                       asserts; make test fails while the committed one
#                       differs
#
# fm_hooks (the load, upgrade and unload rows) is built in two versions
# from one source, each .beam beside the library its -cnif_lib names:
#   $(TEST_DIR)/fault_matrix/vN/fm_hooks.beam, fm_hooks_vN.so
FM_DIR    := $(TEST_DIR)/fault_matrix
FM_HOOKS   = $(foreach v,1 2,$(FM_DIR)/v$(v)/fm_hooks_v$(v).so $(FM_DIR)/v$(v)/fm_hooks.beam)

$(foreach v,1 2,$(eval $(call nif_rule,$(FM_DIR)/v$(v)/fm_hooks_v$(v).so,test/fault_matrix/fm_hooks.c,-DVERSION=$(v))))
$(FM_DIR)/v1/fm_hooks_v1.so $(FM_DIR)/v2/fm_hooks_v2.so $(TEST_DIR)/priv/fault_matrix_nif.so: test/fault_matrix/fm_fault.h

$(FM_DIR)/v%/fm_hooks.beam: test/fault_matrix/fm_hooks.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) '-DLIB="fm_hooks_v$*"' -o $(dir $@) $<

test-build: $(FM_HOOKS)

fault-matrix: deps
	@$(MAKE) --no-print-directory all $(FM_HOOKS) $(TEST_DIR)/priv/fault_matrix_nif.so \
	    $(TEST_DIR)/ebin/fault_matrix_nif.beam $(TEST_DIR)/ebin/fault_matrix_tests.beam
	ERL_LIBS=$(BUILD) erl -noshell -pa $(TEST_DIR)/ebin \
	    -eval 'fault_matrix_tests:write("docs/fault-matrix.md"), halt().'

.PHONY: fault-matrix
