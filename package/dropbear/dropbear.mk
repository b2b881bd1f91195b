# Dropbear: the SSH server, with dropbearkey, dbclient and scp, in one
# multi-call binary; /etc/init.d/S50dropbear starts it at boot.

DROPBEAR_VERSION = 2022.83
DROPBEAR_SOURCE = dropbear-$(DROPBEAR_VERSION).tar.bz2
DROPBEAR_SITE = https://matt.ucc.asn.au/dropbear/releases
DROPBEAR_DEBIAN_SOURCE = dropbear

# Nothing the image lacks: no zlib (no compression), no syslogd (logs go to
# stderr), no login records, no PAM, no passwords (localoptions.h). The
# bundled libtomcrypt and libtommath, whatever the host has.
DROPBEAR_CONF_OPTS = --disable-zlib --disable-syslog --disable-lastlog \
	--disable-utmp --disable-utmpx --disable-wtmp --disable-wtmpx \
	--disable-loginfunc --disable-pututline --disable-pututxline \
	--disable-pam --disable-shadow --enable-bundled-libtom $(if $(TR_STATIC),--enable-static)

DROPBEAR_PROGRAMS = dropbear dropbearkey dbclient scp
DROPBEAR_MAKE = $(MAKE) -C $(SRC_DIR) MULTI=1 PROGRAMS="$(DROPBEAR_PROGRAMS)"

DROPBEAR_AUTHORIZED_KEYS = $(call config-path,$(call qstrip,$(TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS)))
# The init script and the authorized keys are only installed: an edit
# reinstalls them, the objects are kept (see support/make/autotools.mk). A
# missing keys file is the configure step's error.
DROPBEAR_CONFIG_FILES = $(DROPBEAR_PKGDIR)/localoptions.h $(DROPBEAR_PKGDIR)/S50dropbear \
	$(wildcard $(DROPBEAR_AUTHORIZED_KEYS))

# Kept outside the package's directory: a rebuild or a new version keeps the
# key, and images/known_hosts stays valid until make clean.
DROPBEAR_HOST_KEY = $(BUILD_DIR)/dropbear-host-keys/dropbear_ed25519_host_key
DROPBEAR_KEYGEN = $(SRC_DIR)/dropbearmulti dropbearkey

define DROPBEAR_CHECK_AUTHORIZED_KEYS
[ -f $(DROPBEAR_AUTHORIZED_KEYS) ] && [ -r $(DROPBEAR_AUTHORIZED_KEYS) ] || \
	{ echo "tinyroot: TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS: $(DROPBEAR_AUTHORIZED_KEYS) is not a readable file;" \
		"name your public key file (e.g. ~/.ssh/id_ed25519.pub) in make menuconfig, or leave it empty"; exit 1; }
if grep -q 'PRIVATE KEY' $(DROPBEAR_AUTHORIZED_KEYS); then \
	echo "tinyroot: TR_PACKAGE_DROPBEAR_AUTHORIZED_KEYS: $(DROPBEAR_AUTHORIZED_KEYS) is a private key;" \
		"name its public half (.pub)"; exit 1; fi
endef

# The build host runs the dropbearkey just built for the target.
define DROPBEAR_CHECK_BUILD_TIME_KEYS
[ "$(ARCH)" = "$(HOST_ARCH)" ] || \
	{ echo "tinyroot: TR_PACKAGE_DROPBEAR_BUILD_TIME_KEYS: the target's dropbearkey ($(ARCH))" \
		"cannot run on this $(HOST_ARCH) host; choose Host keys: made at boot"; exit 1; }
endef

# localoptions.h is copied only when it changed: its date recompiles everything.
define DROPBEAR_CONFIGURE_CMDS
$(if $(DROPBEAR_AUTHORIZED_KEYS),$(DROPBEAR_CHECK_AUTHORIZED_KEYS))
$(if $(TR_PACKAGE_DROPBEAR_BUILD_TIME_KEYS),$(DROPBEAR_CHECK_BUILD_TIME_KEYS))
$(call autotools-configure,$(DROPBEAR_CONF_OPTS))
install -C -m 644 $(DROPBEAR_PKGDIR)/localoptions.h $(SRC_DIR)/localoptions.h
endef

define DROPBEAR_BUILD_CMDS
$(DROPBEAR_MAKE) -j$(JOBS)
endef

define DROPBEAR_INSTALL_AUTHORIZED_KEYS
install -d -m 700 $(TARGET_DIR)/root $(TARGET_DIR)/root/.ssh
install -m 600 $(DROPBEAR_AUTHORIZED_KEYS) $(TARGET_DIR)/root/.ssh/authorized_keys
endef

define DROPBEAR_INSTALL_HOST_KEY
[ -f $(DROPBEAR_HOST_KEY) ] || { mkdir -p $(dir $(DROPBEAR_HOST_KEY)) && \
	$(DROPBEAR_KEYGEN) -t ed25519 -f $(DROPBEAR_HOST_KEY); }
install -D -m 600 $(DROPBEAR_HOST_KEY) $(TARGET_DIR)/etc/dropbear/dropbear_ed25519_host_key
endef

# The key's line names it "tinyroot" (not the host dropbearkey ran on), for
# ssh -o HostKeyAlias=tinyroot whatever address and port QEMU forwards.
define DROPBEAR_WRITE_KNOWN_HOSTS
$(DROPBEAR_KEYGEN) -y -f $(DROPBEAR_HOST_KEY) | awk '/^ssh-/ { print "tinyroot", $$1, $$2 }' \
	>$(IMAGES_DIR)/known_hosts
endef

define DROPBEAR_INSTALL_TARGET_CMDS
install -D -m 755 $(SRC_DIR)/dropbearmulti $(TARGET_DIR)/usr/bin/dropbearmulti
$(TARGET_STRIP) $(TARGET_DIR)/usr/bin/dropbearmulti
install -d $(TARGET_DIR)/usr/sbin
ln -s ../bin/dropbearmulti $(TARGET_DIR)/usr/sbin/dropbear
$(foreach program,dropbearkey dbclient scp,ln -s dropbearmulti $(TARGET_DIR)/usr/bin/$(program)$(newline))
install -D -m 755 $(DROPBEAR_PKGDIR)/S50dropbear $(TARGET_DIR)/etc/init.d/S50dropbear
$(if $(DROPBEAR_AUTHORIZED_KEYS),$(DROPBEAR_INSTALL_AUTHORIZED_KEYS))
$(if $(TR_PACKAGE_DROPBEAR_BUILD_TIME_KEYS),$(DROPBEAR_INSTALL_HOST_KEY),$(DROPBEAR_LINK_BOOT_KEYS))
endef

# A key made at boot is written under /run, in memory: a root filesystem
# on disk is read-only. (/etc is there: S50dropbear went into it.)
define DROPBEAR_LINK_BOOT_KEYS
ln -s ../run/dropbear $(TARGET_DIR)/etc/dropbear
endef

# For board/qemu/start.sh --ssh.
define DROPBEAR_INSTALL_IMAGES_CMDS
printf 'QEMU_SSH=y\nQEMU_SSH_HOST_KEYS=%s\n' \
	$(if $(TR_PACKAGE_DROPBEAR_BUILD_TIME_KEYS),build-time,first-boot) >$(IMAGES_DIR)/dropbear.qemu.conf
$(if $(TR_PACKAGE_DROPBEAR_BUILD_TIME_KEYS),$(DROPBEAR_WRITE_KNOWN_HOSTS))
endef
