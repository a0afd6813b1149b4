# make coverage: line and branch coverage of the library (src/*.c) and of
# the inline code of include/cnif.h, from every suite that runs them
# (docs/coverage.md).
#
#   make coverage          build in $(COV_BUILD) with gcov counters, run the
#                          suites from zero counts, report; fails if a suite
#                          fails or src/ is under COV_MIN_LINE % of lines or
#                          COV_MIN_BRANCH % of branches
#   make coverage-report   the report of the counts there now (no run)
#
# The suites are make test, then make fuzz and make test-oom where some
# makefile defines them, each run as `make SUITE BUILD=$(COV_BUILD)
# CFLAGS=...`. Every BEAM adds its counts to the same .gcda files when it
# exits: erlang:halt/1 ends in exit(3), which runs libgcov's exit handler
# (as does unloading a NIF library), and libgcov merges into what earlier
# processes wrote.
COV_BUILD      ?= build-cov
COV_SUITES     ?= test fuzz test-oom
COV_MIN_LINE   ?= 95
COV_MIN_BRANCH ?= 90
# Fewer fuzz terms than the CI fuzz run, fewer crashes in a row in
# isolated_tests (ISO_CRASHES: each of its 12 phase and fate cases twice)
# and a tenth of the other stress loops (STRESS): coverage needs each path
# once.
COV_FUZZ_N     ?= 20000

# Only functions defined in src/ and include/ get counters: the library,
# cnif.h's inline functions and the codecs its own macro lines define, but
# not the test NIFs' bodies, whose hot loops would contend for them. The
# counters are atomic: the library runs on scheduler and job threads at
# once, and plain increments race (gcov then reads negative counts). The
# options sit in a file (gcc's @file) because the ';' of the regexes would
# split the shell lines of the other makefiles.
COV_OPTS        = $(abspath $(COV_BUILD)/gcc-coverage.opts)
COV_CFLAGS      = -O0 -g --coverage @$(COV_OPTS)
# clang's coverage data is not gcc's: the clang build of the amalgamated
# demo, a compile check only, is left out.
COV_MAKE        = $(MAKE) --no-print-directory BUILD=$(COV_BUILD) \
                  CFLAGS="$(COV_CFLAGS)" AMALG_CLANG= FUZZ_N=$(COV_FUZZ_N) \
                  ISO_CRASHES=24 STRESS=10

# Branches gcc places on lines without code of their own (a closing brace)
# are left out; C has no exception branches to exclude.
COV_JSON        = $(COV_BUILD)/coverage.json
COV_GCOVR       = gcovr --add-tracefile $(COV_JSON)

.PHONY: coverage coverage-report cover-probe
coverage: deps
	@sh scripts/ensure-deps.sh gcovr
	@mkdir -p $(COV_BUILD)
	@printf '%s\n' -fprofile-update=atomic '-fprofile-filter-files=^src/;^include/' > $(COV_OPTS)
	find $(COV_BUILD) -name '*.gcda' -delete
	@failed=; \
	for suite in $(COV_SUITES); do \
	    if ! $(MAKE) -pq cover-probe 2>/dev/null | awk -v rule="$$suite:" \
	           '/^# Not a target:/ { skip = 1; next } \
	            !skip && index($$0, rule) == 1 { found = 1 } { skip = 0 } \
	            END { exit !found }'; then \
	        echo "coverage: no target $$suite, skipped"; continue; \
	    fi; \
	    echo "coverage: make $$suite"; \
	    $(COV_MAKE) $$suite || failed="$$failed $$suite"; \
	done; \
	$(MAKE) --no-print-directory coverage-report || failed="$$failed coverage-report"; \
	if [ -n "$$failed" ]; then echo "coverage: FAILED:$$failed"; exit 1; fi

# `make -pq cover-probe` prints the rule database (which suites exist) and
# builds nothing: this target has no recipe.
cover-probe:

# One table of both figures per file, the lines and branches not covered,
# and an annotated HTML copy in $(COV_BUILD)/coverage/. The summary's
# report goes to a file of its own: gcovr writes its output by replacing
# the file, and given /dev/null it replaced the device with a regular file.
#
# Only objects that wrote counts this run are read: each .gcda with its
# .gcno, linked into $(COV_BUILD)/gcov-data. A .gcno alone belongs to a
# library this run never loaded (make soak's, or one left from a build of
# older sources, whose line numbers gcovr cannot merge with the new ones).
coverage-report:
	@rm -rf $(COV_BUILD)/gcov-data
	@cd $(COV_BUILD) && find . -name '*.gcda' ! -path './gcov-data/*' | while read -r f; do \
	    mkdir -p "gcov-data/$${f%/*}" && { ln -f "$$f" "$${f%.gcda}.gcno" "gcov-data/$${f%/*}/" 2>/dev/null \
	        || cp "$$f" "$${f%.gcda}.gcno" "gcov-data/$${f%/*}/"; }; \
	done
	gcovr --root . --exclude-unreachable-branches --json $(COV_JSON) $(COV_BUILD)/gcov-data
	@mkdir -p $(COV_BUILD)/coverage
	@$(COV_GCOVR) --filter 'src/' --filter 'include/cnif\.h' \
	    --html-details $(COV_BUILD)/coverage/index.html
	@$(COV_GCOVR) --filter 'src/' --filter 'include/cnif\.h' --csv | awk -F, ' \
	    function pct(n, d) { return d ? sprintf("%5.1f%%", 100 * n / d) : "    -  " } \
	    function row(name, lt, lc, bt, bc) { \
	        printf "%-22s %5d/%-5d %s   %4d/%-4d %s\n", name, lc, lt, pct(lc, lt), bc, bt, pct(bc, bt) } \
	    BEGIN { printf "%-22s %17s   %15s\n", "File", "Lines", "Branches" } \
	    NR > 1 && $$1 ~ /^src\// { row($$1, $$2, $$3, $$5, $$6); \
	        lt += $$2; lc += $$3; bt += $$5; bc += $$6 } \
	    NR > 1 && $$1 !~ /^src\// { h = $$0 } \
	    END { row("TOTAL src/", lt, lc, bt, bc); split(h, f, ","); \
	        row(f[1] " (inline)", f[2], f[3], f[5], f[6]) }'
	@echo 'Not covered (lines, then lines with a branch never taken):'
	@$(COV_GCOVR) --filter 'src/' --filter 'include/cnif\.h' --txt | grep -v '100%' | sed -n '/^File/,$$p'
	@$(COV_GCOVR) --filter 'src/' --filter 'include/cnif\.h' --txt --branches | grep -v '100%' | sed -n '/^File/,$$p'
	@echo 'Annotated sources: $(COV_BUILD)/coverage/index.html'
	$(COV_GCOVR) --filter 'src/' --print-summary --output $(COV_BUILD)/coverage.txt \
	    --fail-under-line $(COV_MIN_LINE) --fail-under-branch $(COV_MIN_BRANCH)
