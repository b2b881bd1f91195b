# BusyBox: the shell and the tools, one binary and a link per applet.

BUSYBOX_VERSION = $(call qstrip,$(TR_PACKAGE_BUSYBOX_VERSION))
BUSYBOX_SOURCE = busybox-$(BUSYBOX_VERSION).tar.bz2
BUSYBOX_SITE = https://busybox.net/downloads
BUSYBOX_DEBIAN_SOURCE = busybox

BUSYBOX_CUSTOM_CONFIG = $(call config-path,$(call qstrip,$(TR_PACKAGE_BUSYBOX_CUSTOM_CONFIG_FILE)))
BUSYBOX_CONFIG_FILES = $(if $(TR_PACKAGE_BUSYBOX_CONFIG_SMALL),$(BUSYBOX_PKGDIR)/busybox-small.fragment) \
	$(BUSYBOX_CUSTOM_CONFIG)

# Options the configuration decides: static linking; and tc, which does not
# build against kernel headers 6.8 and later (CBQ was removed from them).
BUSYBOX_KERNEL_HEADERS_VERSION = $(call qstrip,$(TR_PACKAGE_LINUX_VERSION))
BUSYBOX_TC_BROKEN = $(if $(TR_TOOLCHAIN_MUSL),$(shell printf '6.8\n%s\n' '$(BUSYBOX_KERNEL_HEADERS_VERSION)' \
	| sort -V -C && echo y))
BUSYBOX_KCONFIG_SYMBOLS = TR_PACKAGE_LINUX_VERSION
# BusyBox init, when it is the init chosen.
BUSYBOX_KCONFIG_SYMBOLS += TR_INIT_BUSYBOX
define BUSYBOX_DERIVED_FRAGMENT
$(if $(TR_STATIC),CONFIG_STATIC=y,# CONFIG_STATIC is not set)
$(if $(BUSYBOX_TC_BROKEN),# CONFIG_TC is not set)
$(if $(TR_INIT_BUSYBOX),CONFIG_INIT=y)
$(if $(TR_INIT_BUSYBOX),CONFIG_FEATURE_USE_INITTAB=y)
endef

BUSYBOX_MAKE = $(MAKE) -C $(SRC_DIR) CC="$(TARGET_CC)" \
	EXTRA_CFLAGS="$(TARGET_CPPFLAGS) $(TARGET_CFLAGS)" EXTRA_LDFLAGS="$(TARGET_LDFLAGS)"

define BUSYBOX_CONFIGURE_CMDS
$(if $(TR_PACKAGE_BUSYBOX_CONFIG_DEFCONFIG),$(BUSYBOX_MAKE) defconfig)
$(if $(TR_PACKAGE_BUSYBOX_CONFIG_SMALL),$(BUSYBOX_MAKE) allnoconfig)
$(if $(TR_PACKAGE_BUSYBOX_CONFIG_CUSTOM),cp $(BUSYBOX_CUSTOM_CONFIG) $(SRC_DIR)/.config)
$(call lines-to-file,BUSYBOX_DERIVED_FRAGMENT,$(SRC_DIR)/tinyroot.fragment)
$(TOPDIR)/support/kconfig/fragments apply $(SRC_DIR)/.config \
	$(if $(TR_PACKAGE_BUSYBOX_CONFIG_SMALL),$(BUSYBOX_PKGDIR)/busybox-small.fragment) $(SRC_DIR)/tinyroot.fragment
(yes "" || true) | $(BUSYBOX_MAKE) oldconfig >/dev/null
$(TOPDIR)/support/kconfig/fragments check $(SRC_DIR)/.config \
	$(if $(TR_PACKAGE_BUSYBOX_CONFIG_SMALL),$(BUSYBOX_PKGDIR)/busybox-small.fragment) $(SRC_DIR)/tinyroot.fragment
endef

define BUSYBOX_BUILD_CMDS
$(BUSYBOX_MAKE) -j$(JOBS)
endef

define BUSYBOX_INSTALL_TARGET_CMDS
$(BUSYBOX_MAKE) CONFIG_PREFIX=$(TARGET_DIR) install
endef

BUSYBOX_TOOL_TARGETS = busybox-menuconfig busybox-update-config
.PHONY: $(BUSYBOX_TOOL_TARGETS)
$(BUSYBOX_TOOL_TARGETS): SRC_DIR = $(BUSYBOX_DIR)/src
$(BUSYBOX_TOOL_TARGETS): busybox-configure

busybox-menuconfig:
	$(Q)$(TOPDIR)/support/scripts/isolated $(BUSYBOX_MAKE) menuconfig
	$(Q)rm -f $(BUSYBOX_DIR)/.stamp_built $(BUSYBOX_DIR)/.stamp_installed

# BusyBox's Kconfig has no savedefconfig: the full .config is written back.
busybox-update-config:
ifeq ($(TR_PACKAGE_BUSYBOX_CONFIG_CUSTOM),y)
	$(Q)cp $(SRC_DIR)/.config $(BUSYBOX_CUSTOM_CONFIG)
	@echo "tinyroot: BusyBox configuration written to $(BUSYBOX_CUSTOM_CONFIG)"
else
	@echo "tinyroot: busybox-update-config needs BusyBox configuration = custom config file (set it, with the file to write, in make menuconfig)" >&2
	@exit 1
endif
