# The root filesystem and the images.
#
# $(O)/target is assembled fresh, whenever anything it is made of changed,
# from the install directories of the enabled packages (in dependency
# order), then the overlays, then the post-build script: a package that is
# deselected or rebuilt differently leaves nothing stale behind.
# $(O)/images gets the packages' images and the initramfs, then the
# bootable images the configuration chose (image-*.mk, after this file).

ROOTFS_DIR := $(BUILD_DIR)/rootfs
TARGET_DIR_FINAL := $(O)/target
ROOTFS_NAME := rootfs
ROOTFS_STAMPS := $(ROOTFS_DIR)/.stamp_target $(ROOTFS_DIR)/.stamp_images
$(ROOTFS_STAMPS): private PKG := ROOTFS
$(ROOTFS_STAMPS): | host-deps

ROOTFS_OVERLAYS := $(foreach d,$(call qstrip,$(TR_ROOTFS_OVERLAY)),$(call config-path,$(d)))
ROOTFS_POST_BUILD_SCRIPT := $(call config-path,$(call qstrip,$(TR_ROOTFS_POST_BUILD_SCRIPT)))
ROOTFS_INSTALLED := $(foreach p,$(PACKAGES),$($(call uppercase,$(p))_DIR)/.stamp_installed)
# The packages, each after its dependencies: a package's files win over
# those of what it builds on.
deps-first = $(foreach p,$(1),$(call deps-first,$($(call uppercase,$(p))_DEPENDENCIES)) $(p))
ROOTFS_PACKAGES := $(call uniq,$(call deps-first,$(PACKAGES)))

$(ROOTFS_DIR)/.stamp_target: $(ROOTFS_INSTALLED) $(TOPDIR)/support/make/rootfs.mk \
	$(call value-file,rootfs.target,$(PACKAGES) $(ROOTFS_OVERLAYS) $(ROOTFS_POST_BUILD_SCRIPT)) \
	$(wildcard $(foreach s,TR_ROOTFS_OVERLAY TR_ROOTFS_POST_BUILD_SCRIPT TR_STATIC,$(call kconfig-symbol-file,$(s)))) \
	$(if $(ROOTFS_OVERLAYS),$(shell find $(ROOTFS_OVERLAYS) 2>/dev/null)) $(ROOTFS_POST_BUILD_SCRIPT) | $(ROOTFS_DIR)
	$(call run-step,target,Assembling,$(target-cmds))

define target-cmds
rm -rf $(TARGET_DIR_FINAL)
mkdir -p $(TARGET_DIR_FINAL)
$(foreach p,$(ROOTFS_PACKAGES),cp -a $($(call uppercase,$(p))_DIR)/target/. $(TARGET_DIR_FINAL)/$(newline))
$(if $(TR_STATIC),,$(TOPDIR)/support/scripts/copy-shared-libs $(TARGET_DIR_FINAL) $(TARGET_CC))
$(foreach d,$(ROOTFS_OVERLAYS),rsync -a --exclude=.git $(d)/ $(TARGET_DIR_FINAL)/$(newline))
$(if $(ROOTFS_POST_BUILD_SCRIPT),TARGET_DIR=$(TARGET_DIR_FINAL) IMAGES_DIR=$(IMAGES_DIR) BUILD_DIR=$(BUILD_DIR) \
	$(ROOTFS_POST_BUILD_SCRIPT) $(TARGET_DIR_FINAL))
endef

# The initramfs compressor: the kernel's unpacker wants xz with crc32 checks
# and lz4's legacy format.
ROOTFS_CPIO_COMPRESSION := $(firstword $(foreach c,NONE GZIP BZIP2 XZ LZMA LZ4 ZSTD,$(if $(TR_ROOTFS_CPIO_$(c)),$(c))))
ROOTFS_CPIO_EXT.NONE :=
ROOTFS_CPIO_EXT.GZIP := .gz
ROOTFS_CPIO_EXT.BZIP2 := .bz2
ROOTFS_CPIO_EXT.XZ := .xz
ROOTFS_CPIO_EXT.LZMA := .lzma
ROOTFS_CPIO_EXT.LZ4 := .lz4
ROOTFS_CPIO_EXT.ZSTD := .zst
ROOTFS_CPIO_COMPRESS.NONE := cat
ROOTFS_CPIO_COMPRESS.GZIP := gzip -9 -n
ROOTFS_CPIO_COMPRESS.BZIP2 := bzip2 -9
ROOTFS_CPIO_COMPRESS.XZ := xz -9 --check=crc32
ROOTFS_CPIO_COMPRESS.LZMA := xz --format=lzma -9
ROOTFS_CPIO_COMPRESS.LZ4 := lz4 -l -9
ROOTFS_CPIO_COMPRESS.ZSTD := zstd -19 -q
ROOTFS_CPIO := $(if $(TR_ROOTFS_INITRAMFS_IN_KERNEL),,rootfs.cpio$(ROOTFS_CPIO_EXT.$(ROOTFS_CPIO_COMPRESSION)))

ROOTFS_QEMU_SYMBOLS := TR_ARCH TR_CONSOLE_SERIAL TR_CONSOLE_GRAPHICAL TR_CONSOLE_BOTH TR_QEMU_MACHINE_PC \
	TR_QEMU_MACHINE_Q35 TR_QEMU_MACHINE_MICROVM TR_QEMU_MACHINE_VIRT TR_QEMU_MEMORY TR_QEMU_CPUS TR_QEMU_QUIET TR_QEMU_APPEND \
	TR_QEMU_NET_USER TR_QEMU_NET_RESTRICTED TR_QEMU_NET_NONE TR_QEMU_FORWARDS

$(ROOTFS_DIR)/.stamp_images: $(ROOTFS_DIR)/.stamp_target \
	$(wildcard $(foreach s,$(addprefix TR_ROOTFS_CPIO_,NONE GZIP BZIP2 XZ LZMA LZ4 ZSTD) \
		TR_ROOTFS_INITRAMFS_IN_KERNEL $(ROOTFS_QEMU_SYMBOLS),$(call kconfig-symbol-file,$(s))))
	$(call run-step,images,Packing,$(images-cmds))

# The kernel arguments the configuration adds (quiet, its own): start.sh
# passes them with -append, the bootable images' bootloader (syslinux.mk)
# from its configuration file.
CONFIGURED_KERNEL_ARGS := $(strip $(if $(TR_QEMU_QUIET),quiet) $(call qstrip,$(TR_QEMU_APPEND)))

# The launcher's settings (board/qemu/start.sh sources this): from the
# configuration, and from what the kernel package found in its .config
# (the kernel image to boot among them).
define qemu-conf
QEMU_ARCH=$(ARCH)
QEMU_INITRD=$(ROOTFS_CPIO)
QEMU_CONSOLE=$(if $(TR_CONSOLE_SERIAL),serial)$(if $(TR_CONSOLE_GRAPHICAL),graphical)$(if $(TR_CONSOLE_BOTH),both)
QEMU_MACHINE=$(if $(TR_QEMU_MACHINE_PC),pc)$(if $(TR_QEMU_MACHINE_Q35),q35)$(if $(TR_QEMU_MACHINE_MICROVM),microvm)$(if $(TR_QEMU_MACHINE_VIRT),virt)
QEMU_MEMORY=$(TR_QEMU_MEMORY)
QEMU_CPUS=$(TR_QEMU_CPUS)
QEMU_APPEND='$(subst ','\'',$(CONFIGURED_KERNEL_ARGS))'
QEMU_NET=$(if $(TR_QEMU_NET_USER),user)$(if $(TR_QEMU_NET_RESTRICTED),restricted)$(if $(TR_QEMU_NET_NONE),none)
QEMU_FORWARDS='$(subst ','\'',$(strip $(call qstrip,$(TR_QEMU_FORWARDS))))'
QEMU_BOOT=$(or $(firstword $(BOOT_IMAGES)),kernel)
QEMU_UEFI=$(if $(TR_IMAGE_UEFI),y,n)
endef

# The kernel must unpack the initramfs.
ROOTFS_RD_OPTION = CONFIG_RD_$(ROOTFS_CPIO_COMPRESSION)
define check-kernel-decompressor
grep -q '^$(ROOTFS_RD_OPTION)=y' $(LINUX_DIR)/src/.config || \
	{ echo "tinyroot: the kernel lacks $(ROOTFS_RD_OPTION): it could not unpack a $(ROOTFS_CPIO) initramfs; choose another compression (Filesystem images) or add $(ROOTFS_RD_OPTION)=y to the kernel's configuration"; exit 1; }
endef

# Owned by root, sorted, every mtime clamped: the same bytes on every build.
# The root directory's own entry (.) gives / its mode, 755; without it the
# kernel leaves the mode of its rootfs, 1777.
define cpio-cmds
$(if $(and $(filter linux,$(PACKAGES)),$(filter-out NONE,$(ROOTFS_CPIO_COMPRESSION))),$(check-kernel-decompressor))
(cd $(TARGET_DIR_FINAL) && chmod 755 . && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
	| $(ROOTFS_CPIO_COMPRESS.$(ROOTFS_CPIO_COMPRESSION)) >$(IMAGES_DIR).tmp/$(ROOTFS_CPIO)
endef

# Built into the kernel: its configuration points at the target (see
# linux.mk). The kernel's make would judge the clamped mtimes old, so its
# archive is removed to be packed again, then the kernel relinked.
define embedded-initramfs-cmds
rm -f $(LINUX_DIR)/src/usr/initramfs_data.cpio
$(LINUX_MAKE) -j$(JOBS) $(LINUX_IMAGE_TARGET)
$(call linux-kernel-images,$(LINUX_DIR)/src,$(IMAGES_DIR).tmp)
endef

define images-cmds
rm -rf $(IMAGES_DIR).tmp
mkdir -p $(IMAGES_DIR).tmp
$(foreach p,$(ROOTFS_PACKAGES),cp -a $($(call uppercase,$(p))_DIR)/images/. $(IMAGES_DIR).tmp/$(newline))
find $(TARGET_DIR_FINAL) -newermt @$(SOURCE_DATE_EPOCH) -exec touch -h -d @$(SOURCE_DATE_EPOCH) {} +
$(if $(TR_ROOTFS_INITRAMFS_IN_KERNEL),$(embedded-initramfs-cmds),$(cpio-cmds))
$(foreach i,$(BOOT_IMAGES),$(image-$(i)-cmds)$(newline))
$(file >$(ROOTFS_DIR)/qemu.conf,$(qemu-conf))cat $(ROOTFS_DIR)/qemu.conf $(wildcard $(foreach p,$(PACKAGES),$($(call uppercase,$(p))_DIR)/images/*.qemu.conf)) \
	>$(IMAGES_DIR).tmp/qemu.conf
rm -f $(IMAGES_DIR).tmp/*.qemu.conf
$(TOPDIR)/support/scripts/write-manifest --tree $(TOPDIR) $(if $(TR_EXTERNAL),--external $(TR_EXTERNAL)) \
	$(foreach t,$(call uniq,$(TARGET_CC) ld $(MAKE) $(HOST_TOOLS) $(if $(TR_ROOTFS_INITRAMFS_IN_KERNEL),,cpio \
		$(filter-out cat,$(firstword $(ROOTFS_CPIO_COMPRESS.$(ROOTFS_CPIO_COMPRESSION)))))),--tool $(t)) \
	$(foreach f,$(call uniq,$(BOOT_LOADER_FILES)),--boot-file $(f)) \
	$(foreach p,$(PACKAGES),$(p) $($(call uppercase,$(p))_VERSION) $($(call uppercase,$(p))_DIR)) \
	>$(IMAGES_DIR).tmp/manifest.json
rm -rf $(IMAGES_DIR)
mv $(IMAGES_DIR).tmp $(IMAGES_DIR)
endef

$(ROOTFS_DIR):
	$(Q)mkdir -p $@

# A build says whether it did anything.
$(call write-file,$(WORK_MARKER),)

.PHONY: all world
all: world
world: $(ROOTFS_DIR)/.stamp_images
	@echo "$(if $(call read-file,$(WORK_MARKER)),>>> Images in $(IMAGES_DIR),tinyroot: nothing to do: $(IMAGES_DIR) is up to date)"
