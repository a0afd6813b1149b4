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
#   bench_cnif_isolated.so bench/bench_cnif.c against $(LIB), the module that
#                          bench_isolated.erl runs in isolated mode
#   port_echo              bench/port_echo.c, a program: the C echo at the
#                          far end of a port, the floor of an isolated call
#
# All are compiled with the same $(ALL_CFLAGS). BENCH_JSON=path also
# writes the results as JSON; BENCH_ROUNDS=n changes the number of rounds.
BENCH_DIR     = $(BUILD)/bench
BENCH_LIBC = $(BENCH_DIR)/libc
BENCH_LIB     = $(BENCH_LIBC)/libcnif.a
BENCH_NIFS    = $(BENCH_DIR)/priv/bench_raw.so $(BENCH_DIR)/priv/bench_cnif.so \
                $(BENCH_DIR)/priv/bench_cnif_libc.so $(BENCH_DIR)/priv/bench_cnif_barrier.so \
                $(BENCH_DIR)/priv/bench_spin.so $(BENCH_DIR)/priv/bench_struct_raw.so \
                $(BENCH_DIR)/priv/bench_struct_cnif.so $(BENCH_DIR)/priv/bench_cnif_isolated.so
BENCH_PROGS   = $(BENCH_DIR)/priv/port_echo
BENCH_BEAMS   = $(patsubst bench/%.erl,$(BENCH_DIR)/ebin/%.beam,$(wildcard bench/*.erl))

$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_raw.so,bench/bench_raw.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_cnif.so,bench/bench_cnif.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_cnif_barrier.so,bench/bench_cnif.c,\
    -DBENCH_MODULE=bench_cnif_barrier -DBENCH_OPTIONS=CNIF_FAULT_BARRIER))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_spin.so,bench/bench_spin.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_struct_raw.so,bench/bench_struct_raw.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_struct_cnif.so,bench/bench_struct_cnif.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_cnif_isolated.so,bench/bench_cnif.c,\
    -DBENCH_MODULE=bench_cnif_isolated))

$(BENCH_DIR)/priv/port_echo: bench/port_echo.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@

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

bench-build: all $(BENCH_NIFS) $(BENCH_PROGS) $(BENCH_BEAMS)

# Four BEAMs, no busy-waiting by idle schedulers in any. First the
# responsiveness benchmark, which needs schedulers to share: two normal and
# two dirty CPU schedulers; it leaves its results in latency.bin. Then
# isolated mode (isolated.bin) and the transports (transports.bin), with
# the default schedulers, as an origin node has them: the worker BEAMs,
# the echo programs and the peers are processes of their own, and the
# transports' BEAM starts distribution, which the others must not see.
# Then the rest with one scheduler, so the benchmark process stays on one
# thread and the spare core is left to the noise; it prints everything.
# `make bench-isolated` runs the isolated and transport BEAMs alone.
BENCH_ERL = ERL_LIBS=$(BUILD) erl -noshell +sbwt none +sbwtdcpu none +sbwtdio none \
            -pa $(BENCH_DIR)/ebin
BENCH_SAVED = BENCH_LATENCY=$(BENCH_DIR)/latency.bin \
              BENCH_ISOLATED=$(BENCH_DIR)/isolated.bin \
              BENCH_TRANSPORTS=$(BENCH_DIR)/transports.bin
bench: deps all
	@$(MAKE) --no-print-directory bench-build
	rm -f $(BENCH_DIR)/latency.bin $(BENCH_DIR)/isolated.bin $(BENCH_DIR)/transports.bin
	$(BENCH_ERL) +S 2 +SDcpu 2 \
	    -eval 'bench_latency:main("$(BENCH_DIR)/latency.bin"), halt().'
	@$(MAKE) --no-print-directory bench-isolated-run
	$(BENCH_SAVED) $(BENCH_ERL) +S 1 -eval 'bench:main(), halt().'

bench-isolated: deps all
	@$(MAKE) --no-print-directory bench-build
	rm -f $(BENCH_DIR)/isolated.bin $(BENCH_DIR)/transports.bin
	@$(MAKE) --no-print-directory bench-isolated-run
	BENCH_ISOLATED=$(BENCH_DIR)/isolated.bin BENCH_TRANSPORTS=$(BENCH_DIR)/transports.bin \
	    $(BENCH_ERL) -eval 'bench:report(), halt().'

bench-isolated-run:
	$(BENCH_ERL) -eval 'bench_isolated:main("$(BENCH_DIR)/isolated.bin"), halt().'
	$(BENCH_ERL) -eval 'bench_transports:main("$(BENCH_DIR)/transports.bin"), halt().'

.PHONY: bench-build bench-isolated bench-isolated-run
