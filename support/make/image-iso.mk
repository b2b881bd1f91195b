# tinyroot.iso (Filesystem images → ISO image): an ISO 9660 image that
# isolinux boots from a CD (El Torito, no emulation), and, hybrid, from a
# disk or USB stick too: isolinux's own MBR (isohdpfx.bin) in its first
# sector finds isolinux.bin through the boot information table. With UEFI
# boot too, systemd-boot boots it under UEFI, as a CD and as a disk. xorriso
# takes the volume's dates from SOURCE_DATE_EPOCH, but each file's from
# the file: the staged files get SOURCE_DATE_EPOCH's, and -r gives them
# owner root and the same modes on every build.

ISO_IMAGE_STAGING := $(ROOTFS_DIR)/iso
# With UEFI boot too: a second El Torito entry, the EFI image (a FAT image
# that systemd-boot.mk makes), which the MBR's partition table (and a GPT)
# also points at, so that UEFI finds it on a USB stick.
ISO_IMAGE_EFI_OPTIONS := -eltorito-alt-boot -e efiboot.img -no-emul-boot -isohybrid-gpt-basdat

ifeq ($(TR_IMAGE_ISO),y)
BOOT_IMAGES += iso
HOST_TOOLS += xorriso
BOOT_LOADER_FILES += $(ISOLINUX_BIN) $(ISOLINUX_HYBRID_MBR) $(SYSLINUX_LDLINUX)
endif

# (the bootloader files too: a new syslinux package makes the image again)
$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/image-iso.mk $(wildcard $(BOOT_LOADER_FILES)) \
	$(wildcard $(call kconfig-symbol-file,TR_IMAGE_ISO))

# isolinux.bin is copied: -boot-info-table writes into it.
define image-iso-cmds
$(call write-syslinux-cfg,$(ROOTFS_DIR)/tinyroot.iso/isolinux.cfg,$(ROOTFS_CPIO),$(BOOT_CMDLINE))rm -rf $(ISO_IMAGE_STAGING)
mkdir -p $(ISO_IMAGE_STAGING)/isolinux
cp $(ISOLINUX_BIN) $(SYSLINUX_LDLINUX) $(ROOTFS_DIR)/tinyroot.iso/isolinux.cfg $(ISO_IMAGE_STAGING)/isolinux/
cp $(call boot-files,$(ROOTFS_CPIO)) $(ISO_IMAGE_STAGING)/
$(if $(TR_IMAGE_UEFI),$(call efi-boot-image,$(ISO_IMAGE_STAGING)/efiboot.img,tinyroot.iso,$(ROOTFS_CPIO),$(BOOT_CMDLINE)))
find $(ISO_IMAGE_STAGING) -exec touch -h -d @$(SOURCE_DATE_EPOCH) {} +
xorriso -as mkisofs -quiet -o $(IMAGES_DIR).tmp/tinyroot.iso -r -V TINYROOT \
	-isohybrid-mbr $(ISOLINUX_HYBRID_MBR) -c isolinux/boot.cat \
	-b isolinux/isolinux.bin -no-emul-boot -boot-load-size 4 -boot-info-table \
	$(if $(TR_IMAGE_UEFI),$(ISO_IMAGE_EFI_OPTIONS)) $(ISO_IMAGE_STAGING)
rm -rf $(ISO_IMAGE_STAGING)
endef
