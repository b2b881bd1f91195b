# skeleton: the directories and /etc basics of the root filesystem, the boot
# scripts (/etc/init.d: rcS runs S??*; the network through DHCP, the shared
# folder), and the init chosen in System → Init. What the system writes at
# run time goes to /run and /tmp (tmpfs), so / can be read-only:
# /etc/resolv.conf links into /run, /var/log to /tmp.

SKELETON_VERSION = 1
SKELETON_SITE_METHOD = local
SKELETON_SITE = $(SKELETON_PKGDIR)/files
SKELETON_ADD_TOOLCHAIN_DEPENDENCY = NO
SKELETON_KCONFIG_SYMBOLS = TR_TARGET_HOSTNAME TR_INIT_TINYINIT TR_INIT_SCRIPT TR_INIT_BUSYBOX
# Installed from the package's directory, outside files/: an edit reinstalls them.
SKELETON_CONFIG_FILES = $(addprefix $(SKELETON_PKGDIR)/,init.sh inittab S01mount other-console-shells)

SKELETON_DIRS = bin sbin usr/bin usr/sbin dev etc proc sys tmp run root home var mnt

# /init is what the kernel runs from an initramfs.
SKELETON_INIT.TR_INIT_TINYINIT = ln -s sbin/tinyinit $(TARGET_DIR)/init
SKELETON_INIT.TR_INIT_SCRIPT = install -m 755 $(SKELETON_PKGDIR)/init.sh $(TARGET_DIR)/init
SKELETON_INIT.TR_INIT_BUSYBOX = ln -s bin/busybox $(TARGET_DIR)/init && \
	install -D -m 644 $(SKELETON_PKGDIR)/inittab $(TARGET_DIR)/etc/inittab && \
	install -D -m 755 $(SKELETON_PKGDIR)/S01mount $(TARGET_DIR)/etc/init.d/S01mount && \
	install -D -m 755 $(SKELETON_PKGDIR)/other-console-shells $(TARGET_DIR)/sbin/other-console-shells

define SKELETON_INSTALL_TARGET_CMDS
cd $(TARGET_DIR) && mkdir -p $(SKELETON_DIRS) && chmod 1777 tmp && chmod 700 root
cp -a $(SRC_DIR)/. $(TARGET_DIR)/
chmod 600 $(TARGET_DIR)/etc/shadow
ln -sfn ../run $(TARGET_DIR)/var/run
ln -sfn ../tmp $(TARGET_DIR)/var/log
ln -sfn ../run/resolv.conf $(TARGET_DIR)/etc/resolv.conf
echo '$(call qstrip,$(TR_TARGET_HOSTNAME))' >$(TARGET_DIR)/etc/hostname
printf '127.0.1.1\t%s\n' '$(call qstrip,$(TR_TARGET_HOSTNAME))' >>$(TARGET_DIR)/etc/hosts
$(foreach init,TR_INIT_TINYINIT TR_INIT_SCRIPT TR_INIT_BUSYBOX,$(if $($(init)),$(SKELETON_INIT.$(init))))
endef
