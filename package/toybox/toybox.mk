# toybox: the Unix tools in one binary and a link per command, the other
# userland (System → Userland); BusyBox gives the shell and what toybox
# lacks.

TOYBOX_VERSION = $(call qstrip,$(TR_PACKAGE_TOYBOX_VERSION))
TOYBOX_SITE = https://landley.net/toybox/downloads
TOYBOX_DEBIAN_SOURCE = toybox
# Debian repacks toybox's tarball: another file, with its own hash line.
TOYBOX_DEBIAN_ORIG = toybox_$(TOYBOX_VERSION)+dfsg.orig.tar.xz
# BusyBox's list of links (its staging files), for toybox's to replace.
TOYBOX_DEPENDENCIES = busybox

TOYBOX_CUSTOM_CONFIG = $(call config-path,$(call qstrip,$(TR_PACKAGE_TOYBOX_CUSTOM_CONFIG_FILE)))
TOYBOX_FRAGMENT = $(if $(TR_PACKAGE_TOYBOX_CONFIG_SMALL),$(TOYBOX_PKGDIR)/toybox-small.fragment)
TOYBOX_CONFIG_FILES = $(TOYBOX_FRAGMENT) $(TOYBOX_CUSTOM_CONFIG) $(TOYBOX_PKGDIR)/link-commands

# toybox's scripts/make.sh takes the compiler and its flags from these; the
# host's gcc builds its code generators.
TOYBOX_MAKE = $(MAKE) -C $(SRC_DIR) CC="$(TARGET_CC)" HOSTCC=gcc STRIP="$(TARGET_STRIP)" \
	CFLAGS="$(TARGET_CPPFLAGS) $(TARGET_CFLAGS)" LDFLAGS="$(TARGET_LDFLAGS)" CPUS=$(JOBS)

# Debian's musl has no crypt(), which the commands that check passwords call.
define TOYBOX_DERIVED_FRAGMENT
$(if $(TR_TOOLCHAIN_MUSL),# CONFIG_PASSWD is not set)
$(if $(TR_TOOLCHAIN_MUSL),# CONFIG_SU is not set)
$(if $(TR_TOOLCHAIN_MUSL),# CONFIG_LOGIN is not set)
$(if $(TR_TOOLCHAIN_MUSL),# CONFIG_MKPASSWD is not set)
endef

define TOYBOX_CONFIGURE_CMDS
$(call package-kconfig-configure,TOYBOX)
endef

# instlist, toybox's own installer's helper, built for the host, prints
# what toybox --long prints (of the same command table), on any target
# architecture.
define TOYBOX_BUILD_CMDS
$(TOYBOX_MAKE) toybox
cd $(SRC_DIR) && gcc -I . scripts/install.c -o generated/instlist
endef

define TOYBOX_INSTALL_TARGET_CMDS
install -D -m 755 $(SRC_DIR)/toybox $(TARGET_DIR)/bin/toybox
$(SRC_DIR)/generated/instlist --long >$(SRC_DIR)/toybox.links
$(TOYBOX_PKGDIR)/link-commands $(TARGET_DIR) $(SRC_DIR)/toybox.links $(SYSROOT)/usr/share/busybox/busybox.links
endef

$(eval $(call package-kconfig-tools,toybox,toybox))
