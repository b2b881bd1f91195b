# The Linux kernel: output/images/bzImage (x86_64) or Image (aarch64,
# riscv64), see support/make/arch.mk.

include $(LINUX_PKGDIR)/linux-source.mk
$(eval $(call linux-source-facts,LINUX))

# board/qemu: what every QEMU board's kernel needs; board/qemu/<arch>: one board's own.
LINUX_BOARDS_DIR = $(TOPDIR)/board/qemu
LINUX_BOARD_DIR = $(LINUX_BOARDS_DIR)/$(ARCH)
LINUX_CUSTOM_CONFIG = $(call config-path,$(call qstrip,$(TR_PACKAGE_LINUX_CUSTOM_CONFIG_FILE)))
LINUX_USER_FRAGMENTS = $(foreach f,$(call qstrip,$(TR_PACKAGE_LINUX_CONFIG_FRAGMENTS)),$(call config-path,$(f)))
LINUX_GRAPHICAL = $(or $(TR_CONSOLE_GRAPHICAL),$(TR_CONSOLE_BOTH))
LINUX_SERIAL = $(or $(TR_CONSOLE_SERIAL),$(TR_CONSOLE_BOTH))
# (x86_64 alone has the choice: arm64's and riscv's Image is uncompressed)
LINUX_COMPRESSION = $(firstword $(foreach c,GZIP XZ LZ4 ZSTD,$(if $(TR_PACKAGE_LINUX_COMPRESSION_$(c)),$(c))))
LINUX_IMAGE_TARGET = $(notdir $(KERNEL_IMAGE))

# Applied over the base configuration, in this order; then checked, with
# what the image needs whatever the base, before the long build starts.
LINUX_FRAGMENTS = \
	$(if $(TR_PACKAGE_LINUX_CONFIG_MINIMAL),$(wildcard $(addsuffix /linux.fragment,$(LINUX_BOARDS_DIR) $(LINUX_BOARD_DIR))) \
		$(if $(TR_PACKAGE_LINUX_NETWORK),$(wildcard $(addsuffix /linux-net.fragment,$(LINUX_BOARDS_DIR) $(LINUX_BOARD_DIR)))) \
		$(if $(TR_PACKAGE_LINUX_DISKS),$(LINUX_DISK_FRAGMENTS)) \
		$(if $(LINUX_GRAPHICAL),$(LINUX_BOARD_DIR)/linux-graphical.fragment)) \
	$(if $(LINUX_BASE_CONFIG),$(LINUX_PVPANIC_FRAGMENT) $(LINUX_IMAGE_FRAGMENTS)) \
	$(if $(LINUX_COMPRESSION),$(LINUX_PKGDIR)/compression-$(LINUX_COMPRESSION).fragment) \
	$(LINUX_USER_FRAGMENTS)
# The pvpanic device: the board's own (x86_64's, on ISA), else the PCI one
# that the virt boards have.
LINUX_PVPANIC_FRAGMENT = $(firstword $(wildcard $(LINUX_BOARD_DIR)/pvpanic.fragment) \
	$(LINUX_BOARDS_DIR)/pvpanic-pci.fragment)
# Block devices, the virtio disk and both root filesystems on disk.
LINUX_DISK_FRAGMENTS = $(addprefix $(LINUX_BOARD_DIR)/,disk-root.fragment rootfs-ext4.fragment rootfs-squashfs.fragment)
# What the bootable images ask of the kernel (Filesystem images): a root
# filesystem on the disk, UEFI boot; and a real PC's drivers.
LINUX_IMAGE_FRAGMENTS = \
	$(if $(or $(TR_ROOTFS_EXT4),$(TR_ROOTFS_SQUASHFS)),$(LINUX_BOARD_DIR)/disk-root.fragment) \
	$(if $(TR_ROOTFS_EXT4),$(LINUX_BOARD_DIR)/rootfs-ext4.fragment) \
	$(if $(TR_ROOTFS_SQUASHFS),$(LINUX_BOARD_DIR)/rootfs-squashfs.fragment) \
	$(if $(TR_IMAGE_UEFI),$(LINUX_BOARD_DIR)/efi.fragment) \
	$(if $(TR_PACKAGE_LINUX_GENERIC_PC),$(LINUX_BOARD_DIR)/generic-pc.fragment)
# What the image needs on every architecture, then on this one (its board's
# console driver, what its user space and its bootable images need of the
# kernel).
LINUX_REQUIRED_FRAGMENTS = $(LINUX_PKGDIR)/required.fragment \
	$(wildcard $(LINUX_BOARD_DIR)/required.fragment) \
	$(if $(LINUX_SERIAL),$(LINUX_BOARD_DIR)/console-serial.fragment) \
	$(if $(LINUX_GRAPHICAL),$(LINUX_BOARD_DIR)/console-graphical.fragment) \
	$(LINUX_IMAGE_FRAGMENTS)
LINUX_CONFIG_FILES = $(LINUX_FRAGMENTS) $(LINUX_REQUIRED_FRAGMENTS) $(LINUX_CUSTOM_CONFIG) \
	$(if $(TR_ROOTFS_INITRAMFS_IN_KERNEL),$(LINUX_INITRAMFS_CONSOLE_LIST))
LINUX_KCONFIG_SYMBOLS = TR_CONSOLE_SERIAL TR_CONSOLE_GRAPHICAL TR_CONSOLE_BOTH TR_REPRODUCIBLE \
	TR_ROOTFS_INITRAMFS_IN_KERNEL TR_ROOTFS_EXT4 TR_ROOTFS_SQUASHFS TR_IMAGE_UEFI

# The initramfs built in: the target directory, packed by the kernel's
# usr/gen_initramfs.sh (the building user's files become root's), plus
# /dev/console in gen_init_cpio's list format; uncompressed, as the kernel
# image's compression covers it. The root filesystem step packs it
# (rootfs.mk); until then the target directory is empty.
LINUX_INITRAMFS_CONSOLE_LIST = $(LINUX_PKGDIR)/initramfs-console.list
define LINUX_INITRAMFS_FRAGMENT
CONFIG_INITRAMFS_SOURCE="$(TARGET_DIR_FINAL) $(LINUX_INITRAMFS_CONSOLE_LIST)"
CONFIG_INITRAMFS_ROOT_UID=-1
CONFIG_INITRAMFS_ROOT_GID=-1
CONFIG_INITRAMFS_COMPRESSION_NONE=y
endef

# Reproducible: the build's own time, user and host are not recorded.
LINUX_MAKE = $(MAKE) -C $(LINUX_DIR)/src ARCH=$(KERNEL_ARCH) CROSS_COMPILE=$(TARGET_CROSS) \
	KBUILD_BUILD_TIMESTAMP="$$(date -u -d @$(SOURCE_DATE_EPOCH))" \
	KBUILD_BUILD_USER=tinyroot KBUILD_BUILD_HOST=tinyroot KBUILD_BUILD_VERSION=1

LINUX_BASE_CONFIG = $(if $(TR_PACKAGE_LINUX_CONFIG_MINIMAL),tinyconfig,$(if \
	$(TR_PACKAGE_LINUX_CONFIG_DEFCONFIG),defconfig))

LINUX_DERIVED_FRAGMENTS = $(if $(TR_ROOTFS_INITRAMFS_IN_KERNEL),$(SRC_DIR)/initramfs.fragment)

define LINUX_CONFIGURE_CMDS
$(if $(LINUX_BASE_CONFIG),$(LINUX_MAKE) $(LINUX_BASE_CONFIG),cp $(LINUX_CUSTOM_CONFIG) $(SRC_DIR)/.config)
$(if $(TR_ROOTFS_INITRAMFS_IN_KERNEL),$(call lines-to-file,LINUX_INITRAMFS_FRAGMENT,$(SRC_DIR)/initramfs.fragment))
$(TOPDIR)/support/kconfig/fragments apply $(SRC_DIR)/.config $(LINUX_FRAGMENTS) $(LINUX_DERIVED_FRAGMENTS)
$(LINUX_MAKE) olddefconfig
$(TOPDIR)/support/kconfig/fragments check $(SRC_DIR)/.config $(LINUX_FRAGMENTS) $(LINUX_DERIVED_FRAGMENTS) \
	$(LINUX_REQUIRED_FRAGMENTS)
cp $(SRC_DIR)/.config $(SRC_DIR)/.config.tinyroot
endef

define LINUX_BUILD_CMDS
$(if $(TR_ROOTFS_INITRAMFS_IN_KERNEL),mkdir -p $(TARGET_DIR_FINAL))
$(LINUX_MAKE) -j$(JOBS) $(LINUX_IMAGE_TARGET)
endef

# The kernel's images, from its build tree $(1) into $(2): bzImage or Image,
# for bootloaders and QEMU, and on x86_64 vmlinux when the kernel has the
# PVH entry point: QEMU starts that ELF file as it is, with nothing to
# decompress (stripped: QEMU loads only its segments).
define linux-kernel-images
cp $(1)/$(KERNEL_IMAGE) $(2)/$(LINUX_IMAGE_TARGET)
if grep -q '^CONFIG_PVH=y' $(1)/.config; then $(TARGET_STRIP) -o $(2)/vmlinux $(1)/vmlinux; \
else rm -f $(2)/vmlinux; fi
endef

# What the launcher needs to know of this kernel goes beside the images.
define LINUX_INSTALL_IMAGES_CMDS
$(call linux-kernel-images,$(SRC_DIR),$(IMAGES_DIR))
{ echo "QEMU_KERNEL=$$(test -f $(IMAGES_DIR)/vmlinux && echo vmlinux || echo $(LINUX_IMAGE_TARGET))"; \
  echo "QEMU_PCI_MSI=$$(grep -q '^CONFIG_PCI_MSI=y' $(SRC_DIR)/.config && echo y || echo n)"; \
  echo "QEMU_GRAPHICAL_CAPABLE=$$(grep -q '^CONFIG_VGA_CONSOLE=y' $(SRC_DIR)/.config && echo y || echo n)"; \
  echo "QEMU_POWEROFF=$(if $(filter x86_64,$(ARCH)),$$(grep -q '^CONFIG_ACPI=y' $(SRC_DIR)/.config && echo acpi || echo reboot),firmware)"; \
  echo "QEMU_NET_CAPABLE=$$(grep -q '^CONFIG_VIRTIO_NET=y' $(SRC_DIR)/.config && echo y || echo n)"; \
  echo "QEMU_SHARE_CAPABLE=$$(grep -q '^CONFIG_NET_9P_VIRTIO=y' $(SRC_DIR)/.config && \
	grep -q '^CONFIG_9P_FS=y' $(SRC_DIR)/.config && echo y || echo n)"; \
  echo "QEMU_FW_CFG_CAPABLE=$$(grep -q '^CONFIG_FW_CFG_SYSFS=y' $(SRC_DIR)/.config && echo y || echo n)"; \
  echo "KERNEL_RELEASE=$$($(LINUX_MAKE) -s kernelrelease)"; } >$(IMAGES_DIR)/linux.qemu.conf
endef

# Working on the kernel's configuration. menuconfig changes stay until the
# next reconfiguration (a change of the inputs above); linux-update-config
# keeps them in the custom config file.
LINUX_TOOL_TARGETS = linux-menuconfig linux-savedefconfig linux-diffconfig linux-update-config
.PHONY: $(LINUX_TOOL_TARGETS)
$(LINUX_TOOL_TARGETS): SRC_DIR = $(LINUX_DIR)/src
$(LINUX_TOOL_TARGETS): linux-configure

linux-menuconfig:
	$(Q)$(TOPDIR)/support/scripts/isolated $(LINUX_MAKE) menuconfig
	$(Q)rm -f $(LINUX_DIR)/.stamp_built $(LINUX_DIR)/.stamp_installed

linux-savedefconfig:
	$(Q)$(TOPDIR)/support/scripts/isolated $(LINUX_MAKE) savedefconfig
	@echo "tinyroot: minimal kernel configuration written to $(SRC_DIR)/defconfig"

# What menuconfig changed since the build configured the kernel.
linux-diffconfig:
	$(Q)cd $(SRC_DIR) && scripts/diffconfig .config.tinyroot .config

linux-update-config:
ifeq ($(TR_PACKAGE_LINUX_CONFIG_CUSTOM),y)
	$(Q)cp $(SRC_DIR)/.config $(LINUX_CUSTOM_CONFIG)
	@echo "tinyroot: kernel configuration written to $(LINUX_CUSTOM_CONFIG)"
else
	@echo "tinyroot: linux-update-config needs Kernel configuration = custom config file: the current one is derived at each build (base, board fragment, console, compression), so saving it whole would freeze derived options; put your changes, shown below, in a fragment (Kernel → Extra configuration fragments)" >&2
	$(Q)cd $(SRC_DIR) && scripts/diffconfig .config.tinyroot .config >&2
	@exit 1
endif
