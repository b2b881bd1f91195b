# disk.img (Filesystem images → Disk image): a partitioned disk for a PC's
# BIOS, to write to a USB stick. An MBR partition table with one bootable
# FAT16 partition from 1 MiB (where partitioning tools align the first
# partition) to the end; syslinux's MBR code loads the partition's boot
# sector, which syslinux's installer writes, and ldlinux then reads
# syslinux.cfg, the kernel and the initramfs from the partition. sfdisk,
# mkfs.fat and mtools work on the file itself: no root, no loop device.
# The disk signature and the volume id are fixed, the dates are
# SOURCE_DATE_EPOCH's (mtools and mkfs.fat --invariant): the same bytes on
# every build.

DISK_IMAGE_START_SECTOR := 2048
# (2048 sectors of 512 bytes: mtools and syslinux take the offset in bytes)
DISK_IMAGE_START_BYTES := 1048576
DISK_IMAGE_FIX = raise Filesystem images → Disk image size (TR_IMAGE_DISK_SIZE: now $(TR_IMAGE_DISK_SIZE) MiB) \
	in 'make menuconfig'

ifeq ($(TR_IMAGE_DISK),y)
BOOT_IMAGES += disk
HOST_TOOLS += sfdisk mkfs.fat mcopy syslinux
BOOT_LOADER_FILES += $(SYSLINUX_MBR) $(SYSLINUX_LDLINUX)
endif

# (the bootloader files too: a new syslinux package makes the image again)
$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/image-disk.mk $(wildcard $(BOOT_LOADER_FILES)) \
	$(wildcard $(foreach s,TR_IMAGE_DISK TR_IMAGE_DISK_SIZE,$(call kconfig-symbol-file,$(s))))

define image-disk-cmds
truncate -s $(TR_IMAGE_DISK_SIZE)M $(IMAGES_DIR).tmp/disk.img
printf 'label: dos\nlabel-id: 0x$(BOOT_VOLUME_ID)\nstart=$(DISK_IMAGE_START_SECTOR), type=e, bootable\n' \
	| sfdisk --quiet $(IMAGES_DIR).tmp/disk.img
mkfs.fat --offset $(DISK_IMAGE_START_SECTOR) -F 16 --invariant -i $(BOOT_VOLUME_ID) -n TINYROOT \
	$(IMAGES_DIR).tmp/disk.img $$(( ($(TR_IMAGE_DISK_SIZE) - 1) * 1024 ))
syslinux --offset $(DISK_IMAGE_START_BYTES) --install $(IMAGES_DIR).tmp/disk.img
dd if=$(SYSLINUX_MBR) of=$(IMAGES_DIR).tmp/disk.img bs=440 count=1 conv=notrunc status=none
$(call fat-boot-files,$(IMAGES_DIR).tmp/disk.img@@$(DISK_IMAGE_START_BYTES),disk.img,$(DISK_IMAGE_FIX))
endef
