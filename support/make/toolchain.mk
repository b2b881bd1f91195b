# The toolchain every package builds with: the host's gcc against glibc, or
# for another architecture (arch.mk) Debian's cross gcc against its cross
# glibc; or Debian's musl-gcc (x86_64 only: musl-tools is native) against
# the kernel headers of the linux-headers package. SYSROOT is set per
# package step (see package.mk): the staging files its dependencies
# installed.

# The prefix of the cross tools (aarch64-linux-gnu-); none for the host's
# own architecture: the compiler stays "gcc", the name the kernel records.
TARGET_CROSS := $(if $(filter $(HOST_ARCH),$(ARCH)),,$(GNU_TRIPLET)-)

ifeq ($(TR_TOOLCHAIN_MUSL),y)
TARGET_CC := musl-gcc
TOOLCHAIN_DEPENDENCIES := linux-headers
TOOLCHAIN_CPPFLAGS = -isystem $(SYSROOT)/usr/include
else
TARGET_CC := $(TARGET_CROSS)gcc
TOOLCHAIN_DEPENDENCIES :=
TOOLCHAIN_CPPFLAGS =
endif
TARGET_STRIP := $(TARGET_CROSS)strip

# Reproducible: no build path in the binaries.
TARGET_CPPFLAGS = $(TOOLCHAIN_CPPFLAGS)
TARGET_CFLAGS = -Os -pipe $(if $(TR_REPRODUCIBLE),-ffile-prefix-map=$(BUILD_DIR)=/build)
TARGET_LDFLAGS = $(if $(TR_STATIC),-static)

# Jobs inside one package's make (with distcc, as many as its hosts have
# slots, see distcc.mk); the top-level make's own -j runs independent
# packages side by side.
JOBS = $(if $(filter-out 0,$(TR_JLEVEL)),$(TR_JLEVEL),$(or $(DISTCC_JOBS),$(NPROC)))
NPROC := $(shell nproc)

# Timestamps in what is built: SOURCE_DATE_EPOCH from the environment, else
# the tree's last commit (evaluated only when a step needs it).
SOURCE_DATE_EPOCH ?= $(shell git -C $(TOPDIR) log -1 --format=%ct 2>/dev/null || echo 0)
