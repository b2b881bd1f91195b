# The UEFI bootloader of disk.img (Filesystem images → Disk image boots
# under UEFI too): systemd-boot, as \EFI\BOOT\BOOTX64.EFI, the path a UEFI
# firmware starts from removable media, with one loader entry. It starts
# the kernel through its EFI stub and hands it the initramfs and the
# command line of the entry: the same kernel, initramfs and command line
# as syslinux's on a BIOS (the kernel's stub alone, booted as BOOTX64.EFI,
# gets no command line, so the initramfs would have to be built in).
#
# From Debian's systemd-boot-efi, as a host tool (its sha256 and Debian
# version in the manifest): building it means building systemd with
# gnu-efi, for one signed-off binary that Debian already ships.

SYSTEMD_BOOT_EFI := /usr/lib/systemd/boot/efi/systemd-bootx64.efi
SYSTEMD_BOOT_LOADER_CONF := $(ROOTFS_DIR)/loader.conf
SYSTEMD_BOOT_ENTRY := $(ROOTFS_DIR)/tinyroot.conf

ifeq ($(TR_IMAGE_DISK_UEFI),y)
BOOT_LOADER_FILES += $(SYSTEMD_BOOT_EFI)
endif

$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/systemd-boot.mk \
	$(wildcard $(call kconfig-symbol-file,TR_IMAGE_DISK_UEFI))

# No menu: the one entry at once.
define systemd-boot-loader-conf
timeout 0
default tinyroot.conf
endef

# $(1): the initramfs, if the image boots one; $(2): the command line.
define systemd-boot-entry
title tinyroot
linux /$(LINUX_IMAGE_TARGET)
$(if $(1),initrd /$(1)
)options $(2)
endef

# $(call efi-boot-files,MTOOLS_IMAGE,INITRAMFS,COMMAND_LINE): systemd-boot
# and its configuration onto a FAT filesystem; the kernel and the
# initramfs are syslinux's (fat-boot-files), at its root.
define efi-boot-files
$(file >$(SYSTEMD_BOOT_LOADER_CONF),$(systemd-boot-loader-conf))$(file \
	>$(SYSTEMD_BOOT_ENTRY),$(call systemd-boot-entry,$(2),$(3)))mmd -i $(1) ::EFI ::EFI/BOOT ::loader ::loader/entries
mcopy -i $(1) $(SYSTEMD_BOOT_EFI) ::EFI/BOOT/BOOTX64.EFI
mcopy -i $(1) $(SYSTEMD_BOOT_LOADER_CONF) ::loader/loader.conf
mcopy -i $(1) $(SYSTEMD_BOOT_ENTRY) ::loader/entries/tinyroot.conf
endef
