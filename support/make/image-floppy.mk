# floppy.img (Filesystem images → Floppy image): a bootable 1.44 MB floppy,
# exactly 1,474,560 bytes, FAT12 in the standard floppy layout, with
# syslinux in its boot sector. No partition table: a floppy has none.
# Made as disk.img is (image-disk.mk), without root or loop devices, the
# same bytes on every build. What syslinux leaves free (1,278,464 bytes
# with Debian's 6.04) must hold the kernel and the initramfs: fat-fits
# stops the build with the sizes otherwise.

FLOPPY_IMAGE_KIB := 1440
FLOPPY_IMAGE_FIX := make the kernel or the initramfs smaller (qemu_x86_64_floppy_defconfig shows how) \
	or turn off Filesystem images → Floppy image

ifeq ($(TR_IMAGE_FLOPPY),y)
BOOT_IMAGES += floppy
HOST_TOOLS += mkfs.fat mcopy syslinux
BOOT_LOADER_FILES += $(SYSLINUX_LDLINUX)
endif

# (the bootloader files too: a new syslinux package makes the image again)
$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/image-floppy.mk $(wildcard $(BOOT_LOADER_FILES)) \
	$(wildcard $(call kconfig-symbol-file,TR_IMAGE_FLOPPY))

define image-floppy-cmds
mkfs.fat -C -F 12 --invariant -i $(BOOT_VOLUME_ID) -n TINYROOT $(IMAGES_DIR).tmp/floppy.img $(FLOPPY_IMAGE_KIB)
syslinux --install $(IMAGES_DIR).tmp/floppy.img
$(call fat-boot-files,$(IMAGES_DIR).tmp/floppy.img,floppy.img,$(FLOPPY_IMAGE_FIX),$(ROOTFS_CPIO),$(BOOT_CMDLINE))
endef
