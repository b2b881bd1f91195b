# libgreet: a static library, installed to staging for hello to link with.

LIBGREET_VERSION = 1.0
LIBGREET_SITE = $(call qstrip,$(TR_TEST_UPSTREAM_SITE))
LIBGREET_KCONFIG_SYMBOLS = TR_TEST_BUILD_SECONDS

define LIBGREET_CONFIGURE_CMDS
echo '#define GREETING "$(call qstrip,$(TR_PACKAGE_LIBGREET_GREETING))"' >$(SRC_DIR)/config.h
endef

define LIBGREET_BUILD_CMDS
sleep $(TR_TEST_BUILD_SECONDS)
$(MAKE) -C $(SRC_DIR) CC="$(TARGET_CC)" CFLAGS="$(TARGET_CFLAGS)"
endef

define LIBGREET_INSTALL_STAGING_CMDS
$(MAKE) -C $(SRC_DIR) install DESTDIR=$(STAGING_DIR)
endef
