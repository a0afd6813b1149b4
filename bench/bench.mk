# The benchmarks: cnif against hand-written erl_nif code (see bench/README.md).
#
#   bench_raw.so           bench/bench_raw.c, plain erl_nif
#   bench_cnif.so          bench/bench_cnif.c against $(LIB)
#   bench_cnif_libc.so  the same source against a second copy of the
#                          library built with -DCNIF_USE_LIBC_SETJMP
#
# All three are compiled with the same $(ALL_CFLAGS). BENCH_JSON=path also
# writes the results as JSON; BENCH_ROUNDS=n changes the number of rounds.
BENCH_DIR     = $(BUILD)/bench
BENCH_LIBC = $(BENCH_DIR)/libc
BENCH_LIB     = $(BENCH_LIBC)/libcnif.a
BENCH_NIFS    = $(BENCH_DIR)/priv/bench_raw.so $(BENCH_DIR)/priv/bench_cnif.so \
                $(BENCH_DIR)/priv/bench_cnif_libc.so
BENCH_BEAMS   = $(patsubst bench/%.erl,$(BENCH_DIR)/ebin/%.beam,$(wildcard bench/*.erl))

$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_raw.so,bench/bench_raw.c))
$(eval $(call nif_rule,$(BENCH_DIR)/priv/bench_cnif.so,bench/bench_cnif.c))

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

# One scheduler, and no busy-waiting by idle schedulers: the benchmark
# process stays on one thread and the spare core is left to the noise.
bench: deps all
	@$(MAKE) --no-print-directory bench-build
	ERL_LIBS=$(BUILD) erl -noshell +S 1 +sbwt none +sbwtdcpu none +sbwtdio none \
	    -pa $(BENCH_DIR)/ebin -eval 'bench:main(), halt().'

.PHONY: bench-build
