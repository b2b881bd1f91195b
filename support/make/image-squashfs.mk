# rootfs.squashfs (Filesystem images → Root filesystem: squashfs): the
# target packed by mksquashfs, for disk.img's root partition
# (image-disk.mk), without root. -all-root makes every file root's,
# whoever builds; mksquashfs takes its own date from SOURCE_DATE_EPOCH,
# the files' are already its (rootfs.mk), and it keeps no access or change
# times: the same bytes on every build.

ifeq ($(TR_ROOTFS_SQUASHFS),y)
HOST_TOOLS += mksquashfs
endif

$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/image-squashfs.mk \
	$(wildcard $(call kconfig-symbol-file,TR_ROOTFS_SQUASHFS))

# $(call rootfs-squashfs-cmds,SIZE_MIB,FIX): rootfs.squashfs, or one line
# naming the sizes and FIX when it is larger than SIZE_MIB.
define rootfs-squashfs-cmds
SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) mksquashfs $(TARGET_DIR_FINAL) $(IMAGES_DIR).tmp/rootfs.squashfs \
	-noappend -all-root -no-xattrs -comp gzip -quiet -no-progress >/dev/null
size=$$(stat -c %s $(IMAGES_DIR).tmp/rootfs.squashfs); [ "$$size" -le $$(( $(1) * 1048576 )) ] || \
	{ echo "tinyroot: rootfs.squashfs: $$size bytes do not fit in $(1) MiB: $(2)" >&2; exit 1; }
endef
