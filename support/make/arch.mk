# The target architecture (Target menu) under the names each tool knows it
# by: GNU's triplet (Debian's cross compilers, configure's --host), the
# kernel's ARCH, and the kernel image bootloaders and QEMU take (in the
# kernel's build tree; its file name is the make target that builds it).

ARCH := $(call qstrip,$(TR_ARCH))
HOST_ARCH := $(shell uname -m)

GNU_TRIPLET.x86_64 := x86_64-linux-gnu
GNU_TRIPLET.aarch64 := aarch64-linux-gnu
GNU_TRIPLET.riscv64 := riscv64-linux-gnu
GNU_TRIPLET := $(GNU_TRIPLET.$(ARCH))

# (x86_64, not x86: tinyconfig would otherwise make a 32-bit kernel)
KERNEL_ARCH.x86_64 := x86_64
KERNEL_ARCH.aarch64 := arm64
KERNEL_ARCH.riscv64 := riscv
KERNEL_ARCH := $(KERNEL_ARCH.$(ARCH))

KERNEL_IMAGE.x86_64 := arch/x86/boot/bzImage
KERNEL_IMAGE.aarch64 := arch/arm64/boot/Image
KERNEL_IMAGE.riscv64 := arch/riscv/boot/Image
KERNEL_IMAGE := $(KERNEL_IMAGE.$(ARCH))
