# tinyinit: the C init, built from its source in the tree (src/).

TINYINIT_VERSION = 1.0
TINYINIT_SITE_METHOD = local
TINYINIT_SITE = $(TINYINIT_PKGDIR)/src

# The menu's choices become the program's built-in defaults.
define TINYINIT_CONFIGURE_CMDS
{ echo '#define TINYINIT_LOGLEVEL "$(call qstrip,$(TR_PACKAGE_TINYINIT_LOGLEVEL))"'; \
  echo '#define TINYINIT_SHELL "$(call qstrip,$(TR_PACKAGE_TINYINIT_SHELL))"'; \
  echo '#define TINYINIT_RESPAWN $(if $(TR_PACKAGE_TINYINIT_RESPAWN),1,0)'; \
  echo '#define TINYINIT_GRACE_MS $(TR_PACKAGE_TINYINIT_GRACE_MS)'; } >$(SRC_DIR)/tinyroot-config.h
endef

# Always static: PID 1 must not depend on anything in the image.
define TINYINIT_BUILD_CMDS
$(MAKE) -C $(SRC_DIR) CC="$(TARGET_CC)" CPPFLAGS="$(TARGET_CPPFLAGS) -include tinyroot-config.h" \
	CFLAGS="$(TARGET_CFLAGS)" LDFLAGS="$(TARGET_LDFLAGS) -static"
endef

define TINYINIT_INSTALL_TARGET_CMDS
$(MAKE) -C $(SRC_DIR) install DESTDIR=$(TARGET_DIR)
$(TARGET_STRIP) $(TARGET_DIR)/sbin/tinyinit
endef
