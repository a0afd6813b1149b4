# make test-otp OTP=27 | OTP=newest: the suites (EUnit, ExUnit, the doc
# tests), the generated rebar3 and mix projects and the demo on another
# Erlang/OTP, in a Debian chroot that packages it: OTP 27 with Elixir 1.18
# from Debian 13 (trixie), or the newest OTP Debian has, from unstable
# (sid). test/otp/run.sh makes the chroot once (mmdebstrap) and keeps it in
# OTP_ROOT; the source tree is mounted into it and builds in
# build-otp-$(OTP) with the chroot's compiler CC (make test-otp CC=clang).
# Unstable can break for reasons not ours: if its packages cannot be
# installed, the run says SKIPPED with apt's error.
#
# make otp-root OTP=...: make the chroot only (CI makes both while the
# first suites run: it is mostly download and unpacking).
OTP      ?= 27
OTP_ROOT ?= /var/cache/cnif/otp-$(OTP)

test-otp:
	@sh scripts/ensure-deps.sh mmdebstrap
	sh test/otp/run.sh $(OTP) $(OTP_ROOT) "$(DEPS)" "$(CC)"

otp-root:
	@sh scripts/ensure-deps.sh mmdebstrap
	sh test/otp/run.sh $(OTP) $(OTP_ROOT) "$(DEPS)"
.PHONY: test-otp otp-root
