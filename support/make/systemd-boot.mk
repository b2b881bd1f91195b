# The UEFI bootloader of disk.img and tinyroot.iso (Filesystem images →
# UEFI boot too): systemd-boot, as \EFI\BOOT\BOOTX64.EFI, the path a UEFI
# firmware starts from removable media, with one loader entry. It starts
# the kernel through its EFI stub and hands it the initramfs and the
# command line of the entry: the same kernel, initramfs and command line
# as syslinux's on a BIOS (the kernel's stub alone, booted as BOOTX64.EFI,
# gets no command line, so the initramfs would have to be built in).
#
# From Debian's systemd-boot-efi, as a host tool (its sha256 and Debian
# version in the manifest): building it means building systemd with
# gnu-efi, for one binary that Debian already ships.

SYSTEMD_BOOT_EFI := /usr/lib/systemd/boot/efi/systemd-bootx64.efi
SYSTEMD_BOOT_LOADER_CONF := $(ROOTFS_DIR)/loader.conf

ifeq ($(TR_IMAGE_UEFI),y)
HOST_TOOLS += mkfs.fat mcopy
BOOT_LOADER_FILES += $(SYSTEMD_BOOT_EFI)
endif

$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/systemd-boot.mk \
	$(wildcard $(call kconfig-symbol-file,TR_IMAGE_UEFI))

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

# $(call efi-boot-files,MTOOLS_IMAGE,IMAGE_NAME,INITRAMFS,COMMAND_LINE):
# systemd-boot and its configuration (its entry one for each image, as
# they differ) onto a FAT filesystem; the kernel and the initramfs go to
# its root beside them.
define efi-boot-files
$(shell mkdir -p $(ROOTFS_DIR)/$(2))$(file >$(SYSTEMD_BOOT_LOADER_CONF),$(systemd-boot-loader-conf))$(file \
	>$(ROOTFS_DIR)/$(2)/tinyroot.conf,$(call systemd-boot-entry,$(3),$(4)))mmd -i $(1) ::EFI ::EFI/BOOT ::loader ::loader/entries
mcopy -i $(1) $(SYSTEMD_BOOT_EFI) ::EFI/BOOT/BOOTX64.EFI
mcopy -i $(1) $(SYSTEMD_BOOT_LOADER_CONF) ::loader/loader.conf
mcopy -i $(1) $(ROOTFS_DIR)/$(2)/tinyroot.conf ::loader/entries/tinyroot.conf
endef

# $(call efi-boot-image,FILE,IMAGE_NAME,INITRAMFS,COMMAND_LINE): a FAT
# image just large enough for systemd-boot, the kernel and the initramfs
# (the ISO's El Torito EFI image: UEFI reads no ISO 9660).
define efi-boot-image
mkfs.fat -C --invariant -i $(BOOT_VOLUME_ID) -n TINYROOTEFI $(1) \
	$$(( ($$(cat $(SYSTEMD_BOOT_EFI) $(call boot-files,$(3)) | wc -c) + 1048575) / 1048576 * 1024 + 512 ))
$(call efi-boot-files,$(1),$(2),$(3),$(4))
mcopy -i $(1) $(call boot-files,$(3)) ::
endef
