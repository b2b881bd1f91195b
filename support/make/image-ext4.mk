# rootfs.ext4 (Filesystem images → Root filesystem: ext4): the target as an
# ext4 filesystem, for disk.img's root partition (image-disk.mk). Made by
# support/scripts/mkrootfs-ext4 with mke2fs -d and debugfs, without root
# or loop devices: every file root's, whoever builds, and the same bytes
# on every build (a fixed UUID, SOURCE_DATE_EPOCH's times).

EXT4_UUID := 74696e79-0000-4000-8000-000000000002

ifeq ($(TR_ROOTFS_EXT4),y)
HOST_TOOLS += mke2fs debugfs
endif

$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/image-ext4.mk $(TOPDIR)/support/scripts/mkrootfs-ext4 \
	$(wildcard $(call kconfig-symbol-file,TR_ROOTFS_EXT4))

# $(call rootfs-ext4-cmds,SIZE_MIB,FIX): rootfs.ext4 of that size, or one
# line naming the sizes and FIX when the target does not fit.
define rootfs-ext4-cmds
SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(TOPDIR)/support/scripts/mkrootfs-ext4 $(TARGET_DIR_FINAL) \
	$(IMAGES_DIR).tmp/rootfs.ext4 $(1) $(EXT4_UUID) "$(2)"
endef
