# BusyBox: the shell and the tools, one binary and a link per applet.

BUSYBOX_VERSION = $(call qstrip,$(TR_PACKAGE_BUSYBOX_VERSION))
BUSYBOX_SOURCE = busybox-$(BUSYBOX_VERSION).tar.bz2
BUSYBOX_SITE = https://busybox.net/downloads
BUSYBOX_DEBIAN_SOURCE = busybox

BUSYBOX_CUSTOM_CONFIG = $(call config-path,$(call qstrip,$(TR_PACKAGE_BUSYBOX_CUSTOM_CONFIG_FILE)))
# The configurations made of allnoconfig and a fragment.
BUSYBOX_FRAGMENT.SMALL = busybox-small.fragment
BUSYBOX_FRAGMENT.BESIDE_TOYBOX = busybox-toybox.fragment
BUSYBOX_FRAGMENT = $(foreach c,SMALL BESIDE_TOYBOX,$(if $(TR_PACKAGE_BUSYBOX_CONFIG_$(c)),$(BUSYBOX_PKGDIR)/$(BUSYBOX_FRAGMENT.$(c))))
BUSYBOX_CONFIG_FILES = $(BUSYBOX_FRAGMENT) $(BUSYBOX_CUSTOM_CONFIG)

# Options the configuration decides: static linking; one binary, never
# libbusybox (the install step copies bin/busybox alone); and tc, which does
# not build against kernel headers 6.8 and later (CBQ was removed from them).
BUSYBOX_KERNEL_HEADERS_VERSION = $(call qstrip,$(TR_PACKAGE_LINUX_VERSION))
BUSYBOX_TC_BROKEN = $(if $(TR_TOOLCHAIN_MUSL),$(shell printf '6.8\n%s\n' '$(BUSYBOX_KERNEL_HEADERS_VERSION)' \
	| sort -V -C && echo y))
BUSYBOX_KCONFIG_SYMBOLS = TR_PACKAGE_LINUX_VERSION
# BusyBox init, when it is the init chosen, and setsid -c for the shells on
# the kernel's other consoles (package/skeleton/other-console-shells).
BUSYBOX_KCONFIG_SYMBOLS += TR_INIT_BUSYBOX
define BUSYBOX_DERIVED_FRAGMENT
$(if $(TR_STATIC),CONFIG_STATIC=y,# CONFIG_STATIC is not set)
# CONFIG_BUILD_LIBBUSYBOX is not set
$(if $(BUSYBOX_TC_BROKEN),# CONFIG_TC is not set)
$(if $(TR_INIT_BUSYBOX),CONFIG_INIT=y)
$(if $(TR_INIT_BUSYBOX),CONFIG_FEATURE_USE_INITTAB=y)
$(if $(TR_INIT_BUSYBOX),CONFIG_SETSID=y)
endef

# CROSS_COMPILE names its strip, ar and the rest; CC may be musl-gcc.
BUSYBOX_MAKE = $(MAKE) -C $(SRC_DIR) CROSS_COMPILE="$(TARGET_CROSS)" CC="$(TARGET_CC)" \
	EXTRA_CFLAGS="$(TARGET_CPPFLAGS) $(TARGET_CFLAGS)" EXTRA_LDFLAGS="$(TARGET_LDFLAGS)"

define BUSYBOX_CONFIGURE_CMDS
$(call package-kconfig-configure,BUSYBOX)
endef

# Then busybox.links (a path an applet), which only make install would make.
define BUSYBOX_BUILD_CMDS
$(BUSYBOX_MAKE) -j$(JOBS)
$(BUSYBOX_MAKE) busybox.links
endef

# The binary and its links as BusyBox's make install makes them (symlinks,
# whatever the configuration's choice for make install), without its dozen
# seconds of forks.
define BUSYBOX_INSTALL_TARGET_CMDS
install -D -m 755 $(SRC_DIR)/busybox $(TARGET_DIR)/bin/busybox
$(TOPDIR)/support/scripts/install-links $(TARGET_DIR) busybox $(SRC_DIR)/busybox.links
endef

# Its links, for toybox's to take their place (package/toybox/link-commands).
define BUSYBOX_INSTALL_STAGING_CMDS
install -D -m 644 $(SRC_DIR)/busybox.links $(STAGING_DIR)/usr/share/busybox/busybox.links
endef

$(eval $(call package-kconfig-tools,busybox,BusyBox))
