# The compiler cache: with TR_CCACHE=y (the menu, or the environment, see
# environment.mk) every compilation of every package, target and host
# compilers alike, goes through Debian's ccache. Its masquerade directory
# comes first on the PATH of each step, so CC stays "gcc" (musl-gcc calls
# gcc too): kbuild keeps each command line in its .cmd files, and a changed
# CC would rebuild the whole kernel. None of these symbols is a package's:
# switching the cache changes no output, so it rebuilds nothing.

CCACHE_MASQUERADE_DIR := /usr/lib/ccache
# One cache for every output directory of the user.
CCACHE_DEFAULT_DIR = $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/tinyroot/ccache
CCACHE_CACHE_DIR = $(or $(call config-path,$(call qstrip,$(TR_CCACHE_DIR))),$(CCACHE_DEFAULT_DIR))
CCACHE_MAX_SIZE = $(call qstrip,$(TR_CCACHE_SIZE))
CCACHE_REMOTE_STORAGE = $(call qstrip,$(TR_CCACHE_REMOTE_STORAGE))
CCACHE_ENV = CCACHE_DIR=$(CCACHE_CACHE_DIR)

ifeq ($(TR_CCACHE),y)
# base_dir: absolute paths under the output directory become relative in
# what ccache hashes, so another O= or checkout finds the same results.
# Never /: paths outside the build (the host's headers) must stay absolute.
# hash_dir off: with it, every compilation with -g hashes its absolute
# working directory and misses in another O=. Those here are the kernel's
# boot and real-mode code, turned into raw binaries without their debug
# information, and host tools (objtool, fixdep); packages' target objects
# map the build directory away (-ffile-prefix-map) and are stripped. What
# a cached object keeps is the first build's directory in its debug
# information, which no image holds.
# depend mode: on a miss ccache runs no preprocessor of its own and takes
# the include files from the compiler's dependency file (the kernel's and
# BusyBox's -MD/-MMD; a compilation without one gets ccache's default
# mode). The default kernel compiles cold in three quarters of the time.
# Lost: the hits of files whose headers changed but whose preprocessed text
# did not, as between two kernel configurations (see the manual).
define CCACHE_STEP_ENVIRONMENT
export PATH=$(CCACHE_MASQUERADE_DIR):$$PATH
export CCACHE_DIR='$(CCACHE_CACHE_DIR)'
export CCACHE_BASEDIR='$(O)'
export CCACHE_NOHASHDIR=1
export CCACHE_DEPEND=1
export CCACHE_MAXSIZE='$(CCACHE_MAX_SIZE)'
$(if $(CCACHE_REMOTE_STORAGE),export CCACHE_REMOTE_STORAGE='$(CCACHE_REMOTE_STORAGE)'$(newline))
endef
HOST_TOOLS += ccache
HOST_CHECKS += $(TOPDIR)/support/scripts/check-build-engines ccache '$(CCACHE_CACHE_DIR)' \
	'$(CCACHE_MAX_SIZE)' '$(CCACHE_REMOTE_STORAGE)';
endif

# The cache's own commands, on the configured directory (whether or not
# this configuration uses it).
.PHONY: ccache-stats ccache-clean
ccache-stats:
	$(Q)$(CCACHE_ENV) ccache --show-stats --verbose
	@echo "tinyroot: cache directory $(CCACHE_CACHE_DIR); ccache is $(if $(filter y,$(TR_CCACHE)),on,off) in this configuration"

ccache-clean:
	$(Q)$(CCACHE_ENV) ccache --clear
	@echo "tinyroot: emptied the compiler cache $(CCACHE_CACHE_DIR)"
