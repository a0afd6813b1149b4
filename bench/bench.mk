# The benchmarks: cnif against hand-written erl_nif code (see bench/README.md).
#
#   bench_raw.so           bench/bench_raw.c, plain erl_nif
#   bench_cnif.so          bench/bench_cnif.c against $(LIB)
#   bench_cnif_libc.so     the same source against a second copy of the
#                          library built with -DCNIF_USE_LIBC_SETJMP
#   bench_cnif_barrier.so  the same source against $(LIB), as a module that
#                          arms the fault barrier (CNIF_FAULT_BARRIER)
#   bench_spin.so          bench/bench_spin.c, the CPU job of the
#                          responsiveness benchmark (bench_latency.erl),
#                          exported four ways, and run_delay/0 for its ping
#   bench_struct_raw.so    bench/bench_struct_raw.c, a 26-field struct by hand
#   bench_struct_cnif.so   bench/bench_struct_cnif.c, the same struct through
#                          CNIF_DEFINE_STRUCT_AS, against $(LIB)
#
# All are compiled with the same $(ALL_CFLAGS). BENCH_JSON=path also
# writes the results as JSON; BENCH_ROUNDS=n changes the number of rounds.
BENCH_DIR     = $(BUILD)/bench
BENCH_LIBC = $(BENCH_DIR)/libc
BENCH_LIB     = $(BENCH_LIBC)/libcnif.a
BENCH_NIFS    = $(BENCH_DIR)/priv/bench_raw.so $(BENCH_DIR)/priv/bench_cnif.so \
                $(BENCH_DIR)/priv/bench_cnif_libc.so $(BENCH_DIR)/priv/bench_cnif_barrier.so \
                $(BENCH_DIR)/priv/bench_spin.so $(BENCH_DIR)/priv/bench_struct_raw.so \
                $(BENCH_DIR)/priv/bench_struct_cnif.so
BENCH_BEAMS   = $(patsubst bench/%.erl,$(BENCH_DIR)/ebin/%.beam,$(wildcard bench/*.erl))

$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_raw.so,bench/bench_raw.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_cnif.so,bench/bench_cnif.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_cnif_barrier.so,bench/bench_cnif.c,\
    -DBENCH_MODULE=bench_cnif_barrier -DBENCH_OPTIONS=CNIF_FAULT_BARRIER))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_spin.so,bench/bench_spin.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_struct_raw.so,bench/bench_struct_raw.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_struct_cnif.so,bench/bench_struct_cnif.c))

$(BENCH_LIBC)/obj/%.o: src/%.c include/cnif.h src/internal.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DCNIF_USE_LIBC_SETJMP -c $< -o $@

$(BENCH_LIB): $(LIB_SRC:src/%.c=$(BENCH_LIBC)/obj/%.o)
	rm -f $@
	ar rcs $@ $^

$(BENCH_DIR)/priv/bench_cnif_libc.so: bench/bench_cnif.c $(BENCH_LIB) include/cnif.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DCNIF_USE_LIBC_SETJMP -DBENCH_MODULE=bench_cnif_libc \
	    $< $(BENCH_LIB) $(NIF_LDFLAGS) -o $@

$(BENCH_DIR)/ebin/%.beam: bench/%.erl $(ERL_BEAMS) $(ERL_APP)/include/cnif.hrl
	@mkdir -p $(dir $@)
	erlc -pa $(ERL_APP)/ebin -I $(BUILD) -o $(dir $@) $<

bench-build: all $(BENCH_NIFS) $(BENCH_BEAMS)

# Two BEAMs, no busy-waiting by idle schedulers in either. First the
# responsiveness benchmark, which needs schedulers to share: two normal and
# two dirty CPU schedulers; it leaves its results in latency.bin. Then the
# rest with one scheduler, so the benchmark process stays on one thread and
# the spare core is left to the noise; it prints everything.
BENCH_ERL = ERL_LIBS=$(BUILD) erl -noshell +sbwt none +sbwtdcpu none +sbwtdio none \
            -pa $(BENCH_DIR)/ebin
bench: deps all
	@$(MAKE) --no-print-directory bench-build
	rm -f $(BENCH_DIR)/latency.bin
	$(BENCH_ERL) +S 2 +SDcpu 2 \
	    -eval 'bench_latency:main("$(BENCH_DIR)/latency.bin"), halt().'
	BENCH_LATENCY=$(BENCH_DIR)/latency.bin $(BENCH_ERL) +S 1 \
	    -eval 'bench:main(), halt().'

.PHONY: bench-build
