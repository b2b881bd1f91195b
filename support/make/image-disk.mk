# disk.img (Filesystem images → Disk image): a partitioned disk for a PC,
# to write to a USB stick. An MBR partition table; its first partition,
# bootable, FAT16 from 1 MiB (where partitioning tools align the first
# partition), holds the bootloaders, the kernel and the initramfs. On a
# BIOS, syslinux's MBR code loads the partition's boot sector, which
# syslinux's installer writes, and ldlinux then reads syslinux.cfg, the
# kernel and the initramfs from the partition. With UEFI boot too,
# systemd-boot is on the same partition (systemd-boot.mk): one image for
# both.
#
# With the root filesystem on the disk (ext4 or squashfs), the FAT
# partition takes 16 MiB and a second partition the rest, with the root
# filesystem (image-ext4.mk, image-squashfs.mk); the kernel mounts it
# read-only, found by the disk's signature, and boots no initramfs.
#
# sfdisk, mkfs.fat and mtools work on the file itself: no root, no loop
# device. The disk signature and the volume id are fixed, the dates are
# SOURCE_DATE_EPOCH's (mtools and mkfs.fat --invariant): the same bytes on
# every build.

DISK_IMAGE_START_SECTOR := 2048
# (2048 sectors of 512 bytes: mtools and syslinux take the offset in bytes)
DISK_IMAGE_START_BYTES := 1048576
DISK_IMAGE_FIX = raise Filesystem images → Disk image size (TR_IMAGE_DISK_SIZE: now $(TR_IMAGE_DISK_SIZE) MiB) \
	in 'make menuconfig'

# The root filesystem on the disk, if any, and the partitions' sizes in
# MiB (shell arithmetic, in the recipe).
DISK_ROOTFS := $(if $(TR_ROOTFS_EXT4),ext4)$(if $(TR_ROOTFS_SQUASHFS),squashfs)
DISK_BOOT_MIB := $(if $(DISK_ROOTFS),16,$$(( $(TR_IMAGE_DISK_SIZE) - 1 )))
DISK_ROOT_START_MIB := 17
DISK_ROOT_MIB := $$(( $(TR_IMAGE_DISK_SIZE) - $(DISK_ROOT_START_MIB) ))

# What the bootloaders boot: the root partition (the second one, named by
# the disk's signature: the kernel knows no filesystem UUID at boot), the
# image's /init on it, read-only; else the initramfs.
DISK_INITRAMFS := $(if $(DISK_ROOTFS),,$(ROOTFS_CPIO))
DISK_ROOT_ARGS := root=PARTUUID=$(BOOT_VOLUME_ID)-02 rootfstype=$(DISK_ROOTFS) rootwait ro init=/init
DISK_CMDLINE := $(strip $(BOOT_CONSOLE) $(if $(DISK_ROOTFS),$(DISK_ROOT_ARGS)) $(CONFIGURED_KERNEL_ARGS))

# The root filesystem, made first, in the partition after the FAT one's
# 16 MiB.
DISK_ROOT_PARTITION := start=$(DISK_ROOT_START_MIB)MiB, type=83
define disk-rootfs-cmds
[ $(DISK_ROOT_MIB) -gt 0 ] || { echo "tinyroot: disk.img: $(TR_IMAGE_DISK_SIZE) MiB leave no room for \
	the root filesystem after the $(DISK_ROOT_START_MIB) MiB of the boot partition: $(DISK_IMAGE_FIX)" >&2; exit 1; }
$(call rootfs-$(DISK_ROOTFS)-cmds,$(DISK_ROOT_MIB),$(DISK_IMAGE_FIX))
endef
define disk-rootfs-copy
dd if=$(IMAGES_DIR).tmp/rootfs.$(DISK_ROOTFS) of=$(IMAGES_DIR).tmp/disk.img bs=1M seek=$(DISK_ROOT_START_MIB) \
	conv=notrunc,sparse status=none
endef

ifeq ($(TR_IMAGE_DISK),y)
BOOT_IMAGES += disk
HOST_TOOLS += sfdisk mkfs.fat mcopy syslinux
BOOT_LOADER_FILES += $(SYSLINUX_MBR) $(SYSLINUX_LDLINUX)
endif

# (the bootloader files too: a new syslinux package makes the image again)
$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/image-disk.mk $(wildcard $(BOOT_LOADER_FILES)) \
	$(wildcard $(foreach s,TR_IMAGE_DISK TR_IMAGE_DISK_SIZE,$(call kconfig-symbol-file,$(s))))

define image-disk-cmds
$(if $(DISK_ROOTFS),$(disk-rootfs-cmds))
truncate -s $(TR_IMAGE_DISK_SIZE)M $(IMAGES_DIR).tmp/disk.img
{ echo 'label: dos'; echo 'label-id: 0x$(BOOT_VOLUME_ID)'; \
  echo "start=$(DISK_IMAGE_START_SECTOR), size=$(DISK_BOOT_MIB)MiB, type=e, bootable"; \
  $(if $(DISK_ROOTFS),echo '$(DISK_ROOT_PARTITION)';) } | sfdisk --quiet $(IMAGES_DIR).tmp/disk.img
mkfs.fat --offset $(DISK_IMAGE_START_SECTOR) -F 16 --invariant -i $(BOOT_VOLUME_ID) -n TINYROOT \
	$(IMAGES_DIR).tmp/disk.img $$(( $(DISK_BOOT_MIB) * 1024 ))
syslinux --offset $(DISK_IMAGE_START_BYTES) --install $(IMAGES_DIR).tmp/disk.img
dd if=$(SYSLINUX_MBR) of=$(IMAGES_DIR).tmp/disk.img bs=440 count=1 conv=notrunc status=none
$(if $(TR_IMAGE_UEFI),$(call efi-boot-files,$(IMAGES_DIR).tmp/disk.img@@$(DISK_IMAGE_START_BYTES),disk.img,$(DISK_INITRAMFS),$(DISK_CMDLINE)))
$(call fat-boot-files,$(IMAGES_DIR).tmp/disk.img@@$(DISK_IMAGE_START_BYTES),disk.img,$(DISK_IMAGE_FIX),$(DISK_INITRAMFS),$(DISK_CMDLINE))
$(if $(DISK_ROOTFS),$(disk-rootfs-copy))
endef
