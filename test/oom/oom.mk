# test-oom: allocation-failure injection (test/oom/README.md). The test
# libraries are linked so that every erl_nif call able to fail, made by
# libcnif.a or by the test NIF itself (and the POSIX thread, lock and
# dlopen calls cnif's thread pool makes), goes through test/oom/oom_wrap.c,
# which fails the Nth one on request. oom_tests then fails each allocation
# of a representative call of every feature in turn and checks the call
# still ends in a documented way, leaking nothing. cnif__spare_give and
# cnif__spare_take are wrapped too: see oom_wrap.c on spare chunks.
#
#   make test-oom           the sweep (also BUILD=build-cov CFLAGS=--coverage)
#   make test-oom-asan      the same with the libraries under ASan/UBSan
OOM_DIR      := $(BUILD)/test-oom
OOM_WRAPPED  := enif_alloc enif_free enif_alloc_binary enif_realloc_binary \
                enif_release_binary enif_make_binary enif_make_new_binary \
                enif_term_to_binary enif_binary_to_term enif_alloc_resource \
                enif_init_resource_type enif_alloc_env enif_free_env \
                enif_make_map_from_arrays enif_make_map_put \
                enif_map_iterator_create enif_map_iterator_destroy \
                pthread_create pthread_attr_init pthread_key_create \
                pthread_mutex_init pthread_mutex_destroy pthread_cond_init \
                pthread_cond_destroy dlopen enif_realloc mmap munmap \
                cnif__spare_give cnif__spare_take
# -g whatever CFLAGS says: failing sites are named from the debug info.
OOM_LDFLAGS  := -g -ldl $(foreach f,$(OOM_WRAPPED),-Wl,--wrap=$(f))
OOM_SO        = $(OOM_DIR)/priv/oom_nif.so $(OOM_DIR)/priv/oom_load.so
OOM_BEAMS     = $(patsubst test/oom/%.erl,$(OOM_DIR)/ebin/%.beam,$(wildcard test/oom/*.erl))

$(eval $(call nif_rule,$(OOM_DIR)/priv/oom_nif.so,test/oom/oom_nif.c test/oom/oom_wrap.c,$(OOM_LDFLAGS)))
$(eval $(call nif_rule,$(OOM_DIR)/priv/oom_load.so,test/oom/oom_load.c test/oom/oom_wrap.c,$(OOM_LDFLAGS)))

$(OOM_DIR)/ebin/%.beam: test/oom/%.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(dir $@) $<

.PHONY: test-oom test-oom-build test-oom-asan
test-oom-build: all $(OOM_SO) $(OOM_BEAMS)

# Two schedulers whatever the machine: the thread pool's size, and so the
# allocations that start it, are the same everywhere. CNIF_WORKER: the
# libraries load as in an isolated module's worker, with the NIF
# '$$cnif_resources'/1 (swept as the feature worker_resources), and die
# with the VM's parent: a VM whose parent is PID 1 _exit(0)s at load, which
# would pass untested. Hence "; exit": the shell cannot exec erl, so the
# parent is the shell, never make itself (PID 1 in some containers).
test-oom: deps
	@$(MAKE) --no-print-directory test-oom-build
	$(ERL_RUN_ENV) CNIF_WORKER=1 ERL_LIBS=$(BUILD) erl -noshell +S 2:2 -pa $(OOM_DIR)/ebin \
	    -eval 'case eunit:test(oom_tests, []) of ok -> halt(0); _ -> halt(1) end.'; exit $$?

test-oom-asan: deps
	@$(MAKE) --no-print-directory test-oom BUILD=build-asan SANITIZE="$(ASAN_FLAGS)" CFLAGS="-O1 -g" \
	    ERL_RUN_ENV="LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1"
