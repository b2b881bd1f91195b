# The kernel's user-space headers, for musl: same source as linux, but keyed
# on the kernel version only, so the kernel's configuration never rebuilds
# what is compiled against them.

include $(TOPDIR)/package/linux/linux-source.mk
LINUX_HEADERS_VERSION = $(LINUX_SOURCE_VERSION)
LINUX_HEADERS_SOURCE = $(LINUX_SOURCE_FILE)
LINUX_HEADERS_SITE = $(LINUX_SOURCE_SITE)
LINUX_HEADERS_HASH_FILE = $(LINUX_SOURCE_HASH_FILE)
LINUX_HEADERS_HASH_LIST = $(LINUX_SOURCE_HASH_LIST)
LINUX_HEADERS_DEBIAN_DEB = $(LINUX_SOURCE_DEBIAN_DEB)
LINUX_HEADERS_ADD_TOOLCHAIN_DEPENDENCY = NO

define LINUX_HEADERS_INSTALL_STAGING_CMDS
$(MAKE) -C $(SRC_DIR) ARCH=$(ARCH) INSTALL_HDR_PATH=$(STAGING_DIR)/usr headers_install
endef
