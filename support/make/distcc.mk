# Distributed compilation: with TR_DISTCC_HOSTS set, compilations go to
# the distccd helpers of that list (distcc's own DISTCC_HOSTS syntax). Alone,
# through distcc's masquerade directory first on PATH, as for ccache; with
# ccache, as its prefix command, so that only misses leave this machine.
# distcc preprocesses here and falls back to compiling here when a helper
# fails; the job count grows with the helpers' slots (toolchain.mk).

DISTCC_HOSTS := $(call qstrip,$(TR_DISTCC_HOSTS))
DISTCC_MASQUERADE_DIR := /usr/lib/distcc

ifneq ($(DISTCC_HOSTS),)
# DISTCC_NO_REWRITE_CROSS (so spelled in distcc 3.4; its manual page says
# DISTCC_NO_CROSS_REWRITE): distcc would call gcc by its triplet name
# (x86_64-linux-gnu-gcc), and the kernel would record that name in its
# configuration and its version string: the kernel would differ from a
# local build's. The helpers run the same compiler (the manual says so).
define DISTCC_STEP_ENVIRONMENT
export DISTCC_HOSTS='$(DISTCC_HOSTS)'
export DISTCC_NO_REWRITE_CROSS=1
$(if $(filter y,$(TR_CCACHE)),export CCACHE_PREFIX=distcc,export PATH=$(DISTCC_MASQUERADE_DIR):$$PATH)

endef
HOST_TOOLS += distcc
HOST_CHECKS += $(TOPDIR)/support/scripts/check-build-engines distcc '$(DISTCC_HOSTS)';
# What distcc counts: the slots of every host in the list.
DISTCC_JOBS := $(shell DISTCC_HOSTS='$(DISTCC_HOSTS)' distcc -j 2>/dev/null)
endif
