# hello: the test suite's example package; docs/manual.md walks through it.

HELLO_VERSION = $(call qstrip,$(TR_PACKAGE_HELLO_VERSION))
HELLO_SITE = $(call qstrip,$(TR_TEST_UPSTREAM_SITE))
HELLO_DEBIAN_ORIG = $(call qstrip,$(TR_TEST_DEBIAN_ORIG))
HELLO_KCONFIG_SYMBOLS = TR_TEST_BUILD_SECONDS
HELLO_DEPENDENCIES = libgreet

define HELLO_CONFIGURE_CMDS
echo '#define MESSAGE "$(call qstrip,$(TR_PACKAGE_HELLO_MESSAGE))"' >$(SRC_DIR)/config.h
endef

define HELLO_BUILD_CMDS
sleep $(TR_TEST_BUILD_SECONDS)
$(MAKE) -C $(SRC_DIR) CC="$(TARGET_CC)" CFLAGS="$(TARGET_CPPFLAGS) $(TARGET_CFLAGS)" \
	LDFLAGS="$(TARGET_LDFLAGS)" SYSROOT=$(SYSROOT)
endef

define HELLO_INSTALL_TARGET_CMDS
$(MAKE) -C $(SRC_DIR) install DESTDIR=$(TARGET_DIR)
endef
