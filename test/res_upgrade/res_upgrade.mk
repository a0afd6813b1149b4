# res_upgrade: one module built in two versions from one source, each
# .beam beside the library its -cnif_lib names:
#   $(TEST_DIR)/res_upgrade/vN/res_upgrade.beam, res_upgrade_vN.so
# resource_tests loads them over one another (hot upgrade).
RES_UPGRADE_DIR   := $(TEST_DIR)/res_upgrade
RES_UPGRADE_SO     = $(foreach v,1 2,$(RES_UPGRADE_DIR)/v$(v)/res_upgrade_v$(v).so)
RES_UPGRADE_BEAMS  = $(foreach v,1 2,$(RES_UPGRADE_DIR)/v$(v)/res_upgrade.beam)

$(foreach v,1 2,$(eval $(call nif_rule,$(RES_UPGRADE_DIR)/v$(v)/res_upgrade_v$(v).so,test/res_upgrade/res_upgrade.c,-DVERSION=$(v))))
$(RES_UPGRADE_SO): test/nifs/res_observer.h

$(RES_UPGRADE_DIR)/v%/res_upgrade.beam: test/res_upgrade/res_upgrade.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -DVERSION=$* '-DLIB="res_upgrade_v$*"' -o $(dir $@) $<

test-build: $(RES_UPGRADE_SO) $(RES_UPGRADE_BEAMS)

# The headers the resource suite's NIFs share (test.mk knows only the .c).
$(TEST_DIR)/priv/res_nif.so: test/nifs/res_observer.h test/nifs/res_dyncall.h
$(TEST_DIR)/priv/res_caller.so: test/nifs/res_dyncall.h
