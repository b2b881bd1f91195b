# The generic package layer: turns each enabled package's facts
# (package/<name>/<name>.mk) into steps with stamps.
#
#   download  extract  patch  configure  build  install
#
# Each step of package foo runs in $(BUILD_DIR)/foo-<version>/: its commands
# are written to <step>.sh, its output to <step>.log, and .stamp_<step> is
# touched when it succeeds. The recipes are the pattern rules at the end of
# this file, shared by all packages; per package, a short block of rules
# (package-rules) says only what each step depends on. Make's timestamps do
# the rest: a step reruns when anything it depends on is newer than its
# stamp, and so do the steps after it and the packages that depend on it.
#
# The facts a package .mk may set (NAME is the upper-case package name):
#   NAME_VERSION         version (also names the build directory)
#   NAME_SOURCE          tarball name; default name-version.tar.gz
#   NAME_SITE            upstream URL directory (or, for SITE_METHOD local,
#                        a source directory in the tree)
#   NAME_SITE_METHOD     empty, or local: sources in the tree, synced on
#                        every build (as with NAME_OVERRIDE_SRCDIR)
#   NAME_HASH_FILE       default package/<name>/<name>.hash
#   NAME_HASH_LIST       a list of checksums the sites publish beside the
#                        tarball (sha256sum format, clear-signed, e.g.
#                        kernel.org's sha256sums.asc), for versions with no
#                        pinned hash
#   NAME_HASH_LIST_KEYRING  binary keyring (gpg --export) of the key that
#                        signs that list: gpgv accepts no other
#   NAME_DEBIAN_SOURCE   Debian source package whose .orig tarball is the
#                        same file (verified by the same hash)
#   NAME_DEBIAN_ORIG     or, when Debian's is another file (repacked,
#                        +dfsg), that file's name: it has its own line in
#                        the hash file, and builds the package just as well
#   NAME_DEBIAN_DEB      BINPKG:PATH, the source inside a Debian binary
#                        package, vouched for by apt's signed archive
#   NAME_DEPENDENCIES    packages to install first; their staging files are
#                        in $(SYSROOT) when this one is configured
#   NAME_KCONFIG_SYMBOLS symbols beyond the package's own Config.in whose
#                        change must reconfigure it
#   NAME_CONFIG_FILES    files whose change must reconfigure it
#   NAME_ADD_TOOLCHAIN_DEPENDENCY  NO for packages built with the host's
#                        own compiler only (the kernel, its headers)
#   NAME_EXTRACT_CMDS    to replace the generic extraction
#   NAME_CONFIGURE_CMDS, NAME_BUILD_CMDS
#   NAME_INSTALL_TARGET_CMDS, NAME_INSTALL_STAGING_CMDS, NAME_INSTALL_IMAGES_CMDS
# Commands run from the top of the tinyroot tree and may use:
#   $(SRC_DIR)      the package's source tree
#   $(PKGDIR)       package/<name>, for its patches and config files
#   $(TARGET_DIR) $(STAGING_DIR) $(IMAGES_DIR)
#                   the package's own install directories; the root
#                   filesystem and output/images are assembled from them
#   $(SYSROOT)      headers and libraries of its dependencies
#   $(TARGET_CC) $(TARGET_CFLAGS) ... (toolchain.mk), $(JOBS)
# A local.mk (beside .config for O= builds, else in the tree) may set
# NAME_OVERRIDE_SRCDIR to build a package from a local source tree instead,
# re-synced on every build.

-include $(USER_DIR)/local.mk

PACKAGE_DIRS := $(patsubst %/,%,$(wildcard $(TOPDIR)/package/*/ \
	$(if $(TR_EXTERNAL),$(TR_EXTERNAL)/package/*/)))
package-var = $(call uppercase,$(notdir $(1)))
ENABLED_PACKAGE_DIRS := $(foreach d,$(PACKAGE_DIRS),$(if $(filter y,$(TR_PACKAGE_$(call package-var,$(d)))),$(d)))
PACKAGES := $(notdir $(ENABLED_PACKAGE_DIRS))

# Read each enabled package's facts; NAME_PKGDIR is known to its .mk.
$(foreach d,$(ENABLED_PACKAGE_DIRS),$(eval $(call package-var,$(d))_PKGDIR := $(d))$(eval include $(d)/$(notdir $(d)).mk))

GLOBAL_PATCH_DIRS := $(foreach d,$(call qstrip,$(TR_GLOBAL_PATCH_DIR)),$(call config-path,$(d)))
# The configuration is read: the download directory is fixed, and checked, now.
DL_DIR := $(DL_DIR)
PRIMARY_SITE := $(call qstrip,$(TR_PRIMARY_SITE))
BACKUP_SITE := $(call qstrip,$(TR_BACKUP_SITE))

# Symbols whose change must rebuild every program built with the toolchain.
TOOLCHAIN_KCONFIG_SYMBOLS := TR_TOOLCHAIN_GLIBC TR_TOOLCHAIN_MUSL TR_STATIC TR_REPRODUCIBLE

# package-facts NAME VAR: completes the facts of one package.
define package-facts
$(2)_NAME := $(1)
$(2)_VERSION := $(call qstrip,$($(2)_VERSION))
$(2)_DIR := $(BUILD_DIR)/$(1)-$$($(2)_VERSION)
$(2)_SOURCE := $(or $(call qstrip,$($(2)_SOURCE)),$(1)-$$($(2)_VERSION).tar.gz)
$(2)_HASH_FILE := $(or $($(2)_HASH_FILE),$($(2)_PKGDIR)/$(1).hash)
$(2)_LOCAL_SRCDIR := $(call config-path,$(or $($(2)_OVERRIDE_SRCDIR),$(if $(filter local,$($(2)_SITE_METHOD)),$($(2)_SITE))))
$(2)_DEPENDENCIES += $(if $(filter NO,$($(2)_ADD_TOOLCHAIN_DEPENDENCY)),,$(TOOLCHAIN_DEPENDENCIES))
$(2)_KCONFIG_SYMBOLS += $(KCONFIG_SYMBOLS.$(1)) $(if $(filter NO,$($(2)_ADD_TOOLCHAIN_DEPENDENCY)),,$(TOOLCHAIN_KCONFIG_SYMBOLS))
$(2)_PATCH_DIRS := $($(2)_PKGDIR) $($(2)_PKGDIR)/$$($(2)_VERSION) \
	$(foreach d,$(GLOBAL_PATCH_DIRS),$(d)/$(1) $(d)/$(1)/$$($(2)_VERSION))
$(2)_PATCHES := $$(wildcard $$(addsuffix /*.patch,$$($(2)_PATCH_DIRS)))
# Where the source comes from (a tarball, or which local tree), and the
# architecture it is built for: a change starts the source tree afresh, to
# be configured again, so that no object of the other one survives.
$(2)_SOURCE_FILE := $$(call value-file,$(1).source,$$($(2)_LOCAL_SRCDIR) $(ARCH))
endef
$(foreach p,$(PACKAGES),$(eval $(call package-facts,$(p),$(call uppercase,$(p)))))

missing-dependency-error = $(error package $(1) needs $(2), which is not enabled: enable it in make menuconfig (TR_PACKAGE_$(call uppercase,$(2))))
$(foreach p,$(PACKAGES),$(foreach d,$($(call uppercase,$(p))_DEPENDENCIES),$(if $(filter $(d),$(PACKAGES)),,$(call missing-dependency-error,$(p),$(d)))))

# package-rules NAME VAR: what each step of one package depends on, and the
# package's own targets. The recipes are the pattern rules below.
define package-rules
$(2)_STAMPS := $(addprefix $($(2)_DIR)/.stamp_,downloaded extracted patched configured built installed rsynced)

# The variables its commands see (private: not inherited by dependencies).
$$($(2)_STAMPS): private PKG := $(2)
$$($(2)_STAMPS): private PKGDIR := $($(2)_PKGDIR)
$$($(2)_STAMPS): private SRC_DIR := $($(2)_DIR)/src
$$($(2)_STAMPS): private TARGET_DIR := $($(2)_DIR)/target
$$($(2)_STAMPS): private STAGING_DIR := $($(2)_DIR)/staging
$$($(2)_STAMPS): private IMAGES_DIR := $($(2)_DIR)/images
$$($(2)_STAMPS): private SYSROOT := $($(2)_DIR)/sysroot
$$($(2)_STAMPS): | host-deps

ifeq ($($(2)_LOCAL_SRCDIR),)
# Its own lines of the hash file: a line for another version changes nothing.
$($(2)_DIR)/.stamp_downloaded: | $($(2)_DIR)
$($(2)_DIR)/.stamp_downloaded: $(call value-file,$(1).hash,$(shell grep -F -e '  $($(2)_SOURCE)' \
	$(if $($(2)_DEBIAN_ORIG),-e '  $($(2)_DEBIAN_ORIG)') $($(2)_HASH_FILE) 2>/dev/null))
$($(2)_DIR)/.stamp_extracted: $($(2)_DIR)/.stamp_downloaded $($(2)_SOURCE_FILE) \
	$(call value-file,$(1).patches,$($(2)_PATCHES)) $($(2)_PATCHES)
$($(2)_DIR)/.stamp_patched: $($(2)_DIR)/.stamp_extracted
$($(2)_DIR)/.stamp_configured: $($(2)_DIR)/.stamp_patched
$($(2)_DIR)/.stamp_built: $($(2)_DIR)/.stamp_configured
else
# Local sources: synced on every build; the stamp moves only when a file changed.
$($(2)_DIR)/.stamp_rsynced: private SOURCE_FILE := $($(2)_SOURCE_FILE)
$($(2)_DIR)/.stamp_rsynced: FORCE | $($(2)_DIR)
$($(2)_DIR)/.stamp_configured: | $($(2)_DIR)/.stamp_rsynced
$($(2)_DIR)/.stamp_built: $($(2)_DIR)/.stamp_configured $($(2)_DIR)/.stamp_rsynced
endif
$($(2)_DIR)/.stamp_configured: $($(2)_PKGDIR)/$(1).mk $($(2)_SOURCE_FILE) \
	$(wildcard $(foreach s,$($(2)_KCONFIG_SYMBOLS),$(call kconfig-symbol-file,$(s)))) \
	$(call value-file,$(1).configure,$($(2)_DEPENDENCIES) $($(2)_CONFIG_FILES)) \
	$($(2)_CONFIG_FILES) \
	$(foreach d,$($(2)_DEPENDENCIES),$($(call uppercase,$(d))_DIR)/.stamp_installed)
$($(2)_DIR)/.stamp_installed: $($(2)_DIR)/.stamp_built

$($(2)_DIR):
	$(Q)mkdir -p $$@

.PHONY: $(addprefix $(1),-source -extract -patch -configure -build -rebuild -reconfigure -dirclean) $(1)
$(1): $($(2)_DIR)/.stamp_installed
$(1)-source: $(if $($(2)_LOCAL_SRCDIR),$($(2)_DIR)/.stamp_rsynced,$($(2)_DIR)/.stamp_downloaded)
$(1)-extract: $(if $($(2)_LOCAL_SRCDIR),$($(2)_DIR)/.stamp_rsynced,$($(2)_DIR)/.stamp_extracted)
$(1)-patch: $(if $($(2)_LOCAL_SRCDIR),$($(2)_DIR)/.stamp_rsynced,$($(2)_DIR)/.stamp_patched)
$(1)-configure: $($(2)_DIR)/.stamp_configured
$(1)-build: $($(2)_DIR)/.stamp_built
$(1)-rebuild:
	$(Q)rm -f $($(2)_DIR)/.stamp_built $($(2)_DIR)/.stamp_installed
	$(Q)$$(MAKE) $(1)
$(1)-reconfigure:
	$(Q)rm -f $($(2)_DIR)/.stamp_configured $($(2)_DIR)/.stamp_built $($(2)_DIR)/.stamp_installed
	$(Q)$$(MAKE) $(1)
$(1)-dirclean:
	$(Q)rm -rf $($(2)_DIR)
endef
$(foreach p,$(PACKAGES),$(eval $(call package-rules,$(p),$(call uppercase,$(p)))))

# ---------------------------------------------------------------------------
# The recipes of the steps, shared by every package. PKG names the package's
# variables; run-step writes the commands to a script, logs and stamps.

BUILD_TIME_LOG := $(BUILD_DIR)/build-time.log
WORK_MARKER := $(BUILD_DIR)/.work-done

# What every step's script exports first: the timestamp, and the compiler
# cache and distributed compilation when they are on (ccache.mk, distcc.mk).
STEP_ENVIRONMENT = $(if $(TR_REPRODUCIBLE),export SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH)$(newline))$(CCACHE_STEP_ENVIRONMENT)$(DISTCC_STEP_ENVIRONMENT)

# $(call run-step,STEP,LABEL,COMMANDS) in the recipe of a stamp
define run-step
$(file >$(@D)/$(1).sh,$(STEP_ENVIRONMENT)$(3))
@TR_VERBOSE=$(V) TR_BUILD_TIME_LOG=$(BUILD_TIME_LOG) TR_WORK_MARKER=$(WORK_MARKER) \
	$(TOPDIR)/support/scripts/run-step '$($(PKG)_NAME)' '$($(PKG)_VERSION)' '$(2)' $(@D) $(1) $@
endef

$(BUILD_DIR)/%/.stamp_downloaded:
	$(call run-step,download,Downloading,$(download-cmds))

define download-cmds
$(TOPDIR)/support/download/download --dl-dir $(DL_DIR) --file $($(PKG)_SOURCE) \
	--hash-file $($(PKG)_HASH_FILE) --origin-file $(@D)/source-origin --name-file $(@D)/source-name \
	$(if $(PRIMARY_SITE),--primary $(PRIMARY_SITE)) \
	$(foreach site,$(call qstrip,$($(PKG)_SITE)),--site $(site)) \
	$(if $(BACKUP_SITE),--backup $(BACKUP_SITE)) \
	$(if $($(PKG)_HASH_LIST),--hash-list $($(PKG)_HASH_LIST)) \
	$(if $($(PKG)_HASH_LIST_KEYRING),--hash-list-keyring $($(PKG)_HASH_LIST_KEYRING)) \
	$(if $($(PKG)_DEBIAN_ORIG),--debian-file $($(PKG)_DEBIAN_ORIG)) \
	$(if $(TR_DEBIAN_ARCHIVE),$(if $($(PKG)_DEBIAN_SOURCE),--debian-source $($(PKG)_DEBIAN_SOURCE)) \
		$(if $($(PKG)_DEBIAN_DEB),--debian-deb $($(PKG)_DEBIAN_DEB))) \
	$(if $(TR_DL_REFRESH),--refresh)
endef

$(BUILD_DIR)/%/.stamp_extracted:
	$(call run-step,extract,Extracting,$(or $($(PKG)_EXTRACT_CMDS),$(extract-cmds)))

# The file the download step provided (source-name: NAME_SOURCE, or Debian's
# own), verified again right before use: the download directory is shared.
define extract-cmds
rm -rf $(SRC_DIR)
mkdir -p $(SRC_DIR)
[ -f $(@D)/source-name ] || { echo "tinyroot: $(@D)/source-name: missing (a download from before it was written); make $($(PKG)_NAME)-dirclean and build again"; exit 1; }
source=$$(cat $(@D)/source-name)
$(TOPDIR)/support/download/check-hash $($(PKG)_HASH_FILE) "$$source" $(DL_DIR)/"$$source" $(DL_DIR)
tar -xf $(DL_DIR)/"$$source" -C $(SRC_DIR) --strip-components=1 --no-same-owner
endef

# Modes as git keeps them (executable or not), whatever the checkout's umask gave.
$(BUILD_DIR)/%/.stamp_rsynced:
	$(Q)if [ ! -e $@ ] || [ $(SOURCE_FILE) -nt $@ ]; then rm -rf $(SRC_DIR) $@; fi
	$(Q)mkdir -p $(SRC_DIR)
	$(Q)if [ -n "$$(rsync -a --chmod=u=rwX,go=rX --omit-dir-times --itemize-changes --exclude=.git $($(PKG)_LOCAL_SRCDIR)/ $(SRC_DIR)/)" ] \
		|| [ ! -e $@ ]; then \
		echo ">>> $($(PKG)_NAME) $($(PKG)_VERSION) Synced from $($(PKG)_LOCAL_SRCDIR)"; \
		$(TOPDIR)/support/scripts/write-manifest --local-source $($(PKG)_LOCAL_SRCDIR) $(SRC_DIR) \
			>$(@D)/source-origin && echo 1 >$(WORK_MARKER) && touch $@; fi

$(BUILD_DIR)/%/.stamp_patched:
	$(call run-step,patch,Patching,$(TOPDIR)/support/scripts/apply-patches $(SRC_DIR) $(@D)/applied-patches $($(PKG)_PATCH_DIRS))

$(BUILD_DIR)/%/.stamp_configured:
	$(call run-step,configure,Configuring,$(sysroot-cmds)$(newline)$($(PKG)_CONFIGURE_CMDS))

# The staging files of the dependencies (and theirs), hard-linked.
define sysroot-cmds
rm -rf $(SYSROOT)
mkdir -p $(SYSROOT)
$(foreach d,$($(PKG)_DEPENDENCIES),cp -a --link --remove-destination \
	$($(call uppercase,$(d))_DIR)/sysroot/. $($(call uppercase,$(d))_DIR)/staging/. $(SYSROOT)/$(newline))
endef

$(BUILD_DIR)/%/.stamp_built:
	$(call run-step,build,Building,$($(PKG)_BUILD_CMDS))

$(BUILD_DIR)/%/.stamp_installed:
	$(call run-step,install,Installing,$(install-cmds))

define install-cmds
rm -rf $(TARGET_DIR) $(STAGING_DIR) $(IMAGES_DIR)
mkdir -p $(TARGET_DIR) $(STAGING_DIR) $(IMAGES_DIR)
$($(PKG)_INSTALL_TARGET_CMDS)
$($(PKG)_INSTALL_STAGING_CMDS)
$($(PKG)_INSTALL_IMAGES_CMDS)
endef

.PHONY: source
source: $(foreach p,$(PACKAGES),$(p)-source)
