# Packages with a configure script (autoconf): a package's CONFIGURE_CMDS
# runs it for the target, with the toolchain's variables and its own options:
#
#   define FOO_CONFIGURE_CMDS
#   $(call autotools-configure,--disable-zlib --disable-syslog)
#   endef
#
# configure runs again only when its command line or the sysroot (the
# dependencies' headers and libraries) changed, and then from a clean tree
# (make distclean): objects compiled with other flags or headers never
# survive it. A reconfigure for anything else (a menu choice that changes
# only the files a package installs) keeps them, so the build recompiles
# nothing.

AUTOTOOLS_HOST = $(ARCH)-linux-$(if $(TR_TOOLCHAIN_MUSL),musl,gnu)
AUTOTOOLS_CONFIGURE_ARGS = --host=$(AUTOTOOLS_HOST) --prefix=/usr CC="$(TARGET_CC)" \
	CPPFLAGS="$(TARGET_CPPFLAGS)" CFLAGS="$(TARGET_CFLAGS)" LDFLAGS="$(TARGET_LDFLAGS)"
AUTOTOOLS_INPUTS = $(SRC_DIR)/.tinyroot-configure-inputs

define autotools-configure
(echo './configure $(AUTOTOOLS_CONFIGURE_ARGS) $(1)' && \
	cd $(SYSROOT) && find . -type f -exec sha256sum {} + | sort) >$(AUTOTOOLS_INPUTS).new
if cmp -s $(AUTOTOOLS_INPUTS).new $(AUTOTOOLS_INPUTS); then \
	echo "configure: same command line and sysroot as last time: kept"; \
else \
	if [ -f $(SRC_DIR)/Makefile ]; then $(MAKE) -C $(SRC_DIR) distclean; fi; \
	(cd $(SRC_DIR) && ./configure $(AUTOTOOLS_CONFIGURE_ARGS) $(1)); \
fi
mv $(AUTOTOOLS_INPUTS).new $(AUTOTOOLS_INPUTS)
endef
