# thread_upgrade: one module built in two versions from one source, each
# .beam beside the library its -cnif_lib names:
#   $(TEST_DIR)/thread_upgrade/vN/thread_upgrade.beam, thread_upgrade_vN.so
# thread_tests loads them over one another (hot upgrade with running jobs).
THREAD_UPGRADE_DIR   := $(TEST_DIR)/thread_upgrade
THREAD_UPGRADE_SO     = $(foreach v,1 2,$(THREAD_UPGRADE_DIR)/v$(v)/thread_upgrade_v$(v).so)
THREAD_UPGRADE_BEAMS  = $(foreach v,1 2,$(THREAD_UPGRADE_DIR)/v$(v)/thread_upgrade.beam)

$(foreach v,1 2,$(eval $(call nif_rule,$(THREAD_UPGRADE_DIR)/v$(v)/thread_upgrade_v$(v).so,test/thread_upgrade/thread_upgrade.c,-DVERSION=$(v))))

$(THREAD_UPGRADE_DIR)/v%/thread_upgrade.beam: test/thread_upgrade/thread_upgrade.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) '-DLIB="thread_upgrade_v$*"' -o $(dir $@) $<

test-build: $(THREAD_UPGRADE_SO) $(THREAD_UPGRADE_BEAMS)
