# The BIOS bootloader of the bootable images (image-disk.mk, image-iso.mk,
# image-floppy.mk): syslinux on FAT, isolinux on ISO 9660. It loads the
# kernel and the initramfs through the BIOS, so the kernel needs no disk
# driver while its root is the initramfs.
#
# From Debian's binary packages, as host tools, not built from source:
# upstream's last release (6.03, 2014) needs nasm and patches to build with
# today's gcc and binutils (Debian carries them), and its installer is what
# writes the boot sector anyway. The manifest records each file it takes
# with its sha256 and its Debian package's version.

SYSLINUX_LDLINUX := /usr/lib/syslinux/modules/bios/ldlinux.c32
SYSLINUX_MBR := /usr/lib/syslinux/mbr/mbr.bin
ISOLINUX_BIN := /usr/lib/ISOLINUX/isolinux.bin
ISOLINUX_HYBRID_MBR := /usr/lib/ISOLINUX/isohdpfx.bin

# The FAT volume id and the disk signature ("tiny" in ASCII): fixed, so
# that every build makes the same bytes.
BOOT_VOLUME_ID := 74696e79

# The images this configuration builds, and the bootloader files they
# take from the host (each image file adds its own).
BOOT_IMAGES :=
BOOT_LOADER_FILES :=
$(ROOTFS_DIR)/.stamp_images: $(TOPDIR)/support/make/syslinux.mk

# The kernel command line the bootloader passes: the console the
# configuration chose (the serial port, the screen or both), then the
# arguments it adds (rootfs.mk). start.sh's --append cannot reach it.
BOOT_CONSOLE := $(if $(TR_CONSOLE_SERIAL),console=ttyS0)$(if $(TR_CONSOLE_GRAPHICAL),console=tty0)$(if \
	$(TR_CONSOLE_BOTH),console=tty0 console=ttyS0)
BOOT_CMDLINE := $(strip $(BOOT_CONSOLE) $(CONFIGURED_KERNEL_ARGS))

# syslinux.cfg (isolinux.cfg on the ISO): no menu, no prompt, the one
# entry at once; its messages on the first serial port as well as on the
# screen. Paths are from the root of the filesystem it boots from.
# $(1): the initramfs, if the image boots one; $(2): the command line.
define syslinux-cfg
SERIAL 0 115200
DEFAULT tinyroot
PROMPT 0
LABEL tinyroot
  KERNEL /$(LINUX_IMAGE_TARGET)
$(if $(1),  INITRD /$(1)
)  APPEND $(2)
endef

# What the bootloader boots, in the images directory being assembled: the
# kernel and the initramfs $(1), if any.
boot-files = $(IMAGES_DIR).tmp/$(LINUX_IMAGE_TARGET) $(if $(1),$(IMAGES_DIR).tmp/$(1))

# $(call write-syslinux-cfg,FILE,INITRAMFS,COMMAND_LINE): the file, under
# the root filesystem's build directory, one for each image, as they differ.
# Written when an image's commands are expanded: make expands the images
# step's whole recipe before its first line runs.
write-syslinux-cfg = $(shell mkdir -p $(dir $(1)))$(file >$(1),$(call syslinux-cfg,$(2),$(3)))

# $(call fat-boot-files,MTOOLS_IMAGE,IMAGE_NAME,FIX,INITRAMFS,COMMAND_LINE):
# syslinux.cfg, the kernel and the initramfs (if any) onto a FAT
# filesystem that syslinux is already installed on, once fat-fits has
# checked they fit (else its one line names the sizes and FIX).
# MTOOLS_IMAGE may hold an offset: disk.img@@1048576.
define fat-boot-files
$(call write-syslinux-cfg,$(ROOTFS_DIR)/$(2)/syslinux.cfg,$(4),$(5))$(TOPDIR)/support/scripts/fat-fits $(1) $(2) "$(3)" \
	$(ROOTFS_DIR)/$(2)/syslinux.cfg $(call boot-files,$(4))
mcopy -i $(1) $(ROOTFS_DIR)/$(2)/syslinux.cfg $(call boot-files,$(4)) ::
endef
