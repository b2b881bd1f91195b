# Where the kernel's source comes from, for linux and linux-headers alike.

LINUX_SOURCE_VERSION = $(call qstrip,$(TR_PACKAGE_LINUX_VERSION))
LINUX_SOURCE_HASH_FILE = $(TOPDIR)/package/linux/linux.hash
ifeq ($(TR_PACKAGE_LINUX_DEBIAN_6_1),y)
LINUX_SOURCE_FILE = linux-source-6.1.tar.xz
LINUX_SOURCE_DEBIAN_DEB = linux-source-6.1:usr/src/linux-source-6.1.tar.xz
else
LINUX_SOURCE_FILE = linux-$(LINUX_SOURCE_VERSION).tar.xz
LINUX_SOURCE_SITE = https://cdn.kernel.org/pub/linux/kernel/v$(firstword $(subst ., ,$(LINUX_SOURCE_VERSION))).x
# Versions without a pinned hash: kernel.org's signed list for the series.
LINUX_SOURCE_HASH_LIST = sha256sums.asc
endif
