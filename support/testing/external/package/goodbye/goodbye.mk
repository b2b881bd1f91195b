# goodbye: independent of hello, so that -j builds them side by side.

GOODBYE_VERSION = 1.0
GOODBYE_SITE = $(call qstrip,$(TR_TEST_UPSTREAM_SITE))
GOODBYE_KCONFIG_SYMBOLS = TR_TEST_BUILD_SECONDS

define GOODBYE_CONFIGURE_CMDS
echo '#define WORDS "$(call qstrip,$(TR_PACKAGE_GOODBYE_WORDS))"' >$(SRC_DIR)/config.h
endef

define GOODBYE_BUILD_CMDS
sleep $(TR_TEST_BUILD_SECONDS)
$(MAKE) -C $(SRC_DIR) CC="$(TARGET_CC)" CFLAGS="$(TARGET_CFLAGS)" LDFLAGS="$(TARGET_LDFLAGS)"
endef

define GOODBYE_INSTALL_TARGET_CMDS
$(MAKE) -C $(SRC_DIR) install DESTDIR=$(TARGET_DIR)
endef
