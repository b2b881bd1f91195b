# The configuration: Kconfig menus through Debian's kconfig-frontends.
#
# $(O)/.config is the user's configuration. From it, `kconfig-conf
# --silentoldconfig` derives in $(KCONFIG_DIR):
#   include/config/auto.conf    the values, included by make below
#   include/config/tr/.../*.h   one empty file per symbol, touched only when
#                               that symbol's value changes: the steps of a
#                               package depend on the files of its symbols,
#                               so a change rebuilds exactly what it affects.
# Config.in symbols are written with their TR_ prefix, so CONFIG_ is empty.

KCONFIG_DIR := $(BUILD_DIR)/kconfig
AUTOCONF := $(KCONFIG_DIR)/include/config/auto.conf
PACKAGE_SYMBOLS_MK := $(KCONFIG_DIR)/package-symbols.mk

# TR_EXTERNAL=dir adds a tree of packages (dir/Config.in, dir/package/*,
# dir/configs/*_defconfig); it is remembered in $(O) like the configuration.
TR_EXTERNAL_FILE := $(O)/.tr-external
ifeq ($(origin TR_EXTERNAL),undefined)
TR_EXTERNAL := $(call read-file,$(TR_EXTERNAL_FILE))
else
override TR_EXTERNAL := $(if $(TR_EXTERNAL),$(abspath $(TR_EXTERNAL)))
ifneq ($(TR_EXTERNAL),$(call read-file,$(TR_EXTERNAL_FILE)))
$(shell mkdir -p $(O))
$(file >$(TR_EXTERNAL_FILE),$(TR_EXTERNAL))
endif
endif
ifneq ($(TR_EXTERNAL),)
ifeq ($(wildcard $(TR_EXTERNAL)/Config.in),)
$(error TR_EXTERNAL=$(TR_EXTERNAL): no Config.in there; give the directory of an external tree, or TR_EXTERNAL= to drop it)
endif
endif

# The external tree's menu, sourced by the top-level Config.in.
EXTERNAL_MENU := $(KCONFIG_DIR)/external.in
EXTERNAL_MENU_TEXT := $(if $(TR_EXTERNAL),menu "External packages ($(TR_EXTERNAL))"$(newline)source "$(TR_EXTERNAL)/Config.in"$(newline)endmenu)
ifneq ($(filter-out help list-defconfigs clean distclean check check-slow bench,$(or $(MAKECMDGOALS),all)),)
$(call refresh-value-file,$(EXTERNAL_MENU),$(EXTERNAL_MENU_TEXT))
endif

KCONFIG_FILES := $(wildcard $(TOPDIR)/Config.in $(TOPDIR)/package/Config.in \
	$(TOPDIR)/package/*/Config.in* $(if $(TR_EXTERNAL),$(TR_EXTERNAL)/Config.in \
	$(TR_EXTERNAL)/package/*/Config.in*)) $(EXTERNAL_MENU)

DEFCONFIG_DIRS := $(TOPDIR)/configs $(if $(TR_EXTERNAL),$(TR_EXTERNAL)/configs)

# Where savedefconfig writes: the defconfig the configuration came from
# (TR_DEFCONFIG, kept in .config), else defconfig beside the build.
DEFAULT_DEFCONFIG := $(USER_DIR)/defconfig
CURRENT_DEFCONFIG = $(call qstrip,$(patsubst TR_DEFCONFIG=%,%,$(filter TR_DEFCONFIG=%,$(file <$(CONFIG)))))

# Every kconfig tool runs in $(KCONFIG_DIR) (silentoldconfig writes its
# include/ there) with this environment; nothing of it reaches other makes.
kconfig-env = env -C $(KCONFIG_DIR) CONFIG_= srctree=$(TOPDIR) KCONFIG_CONFIG=$(CONFIG) \
	TR_EXTERNAL_MENU=$(EXTERNAL_MENU) TR_EXTERNAL=$(TR_EXTERNAL) TR_DEFCONFIG_FROM_ENV=$(1)
KCONFIG_TOOLS_CHECK = $(Q)$(TOPDIR)/support/scripts/check-host-deps kconfig

.PHONY: menuconfig nconfig config oldconfig olddefconfig savedefconfig list-defconfigs

# The kconfig tool of each target that updates .config in place.
KCONFIG_TOOL.menuconfig := kconfig-mconf
KCONFIG_TOOL.nconfig := kconfig-nconf
KCONFIG_TOOL.config := kconfig-conf --oldaskconfig
KCONFIG_TOOL.oldconfig := kconfig-conf --oldconfig
KCONFIG_TOOL.olddefconfig := kconfig-conf --olddefconfig

menuconfig nconfig config oldconfig olddefconfig: $(KCONFIG_DIR)
	$(KCONFIG_TOOLS_CHECK)
	$(Q)$(TOPDIR)/support/kconfig/keep-config-report $(if $(filter-out olddefconfig,$@),--interactive) \
		$(CONFIG) $(CONFIG) $(KCONFIG_FILES) -- \
		$(call kconfig-env,$(CURRENT_DEFCONFIG)) $(KCONFIG_TOOL.$@) $(TOPDIR)/Config.in

# configs/<name>_defconfig (or the external tree's), or TR_DEFCONFIG=file defconfig.
find-defconfig = $(firstword $(wildcard $(addsuffix /$(1),$(DEFCONFIG_DIRS))))
define load-defconfig
	$(KCONFIG_TOOLS_CHECK)
	$(Q)$(TOPDIR)/support/kconfig/keep-config-report $(1) $(CONFIG) $(KCONFIG_FILES) -- \
		$(call kconfig-env,$(1)) kconfig-conf --defconfig=$(1) $(TOPDIR)/Config.in
	@echo "tinyroot: configuration written to $(CONFIG) from $(1)"
endef

# Only the goals: a pattern rule would also claim any file named *_defconfig
# that is a prerequisite (an overlay may hold one).
$(filter %_defconfig,$(MAKECMDGOALS)): $(KCONFIG_DIR)
	$(if $(call find-defconfig,$@),,$(error no such defconfig: $@ (see make list-defconfigs)))
	$(call load-defconfig,$(call find-defconfig,$@))

.PHONY: defconfig
defconfig: $(KCONFIG_DIR)
	$(if $(wildcard $(TR_DEFCONFIG)),,$(error defconfig needs TR_DEFCONFIG=<existing file>; or use make <name>_defconfig))
	$(call load-defconfig,$(abspath $(TR_DEFCONFIG)))

savedefconfig: $(KCONFIG_DIR)
	$(KCONFIG_TOOLS_CHECK)
	$(if $(wildcard $(CONFIG)),,$(error no configuration in $(O): run make <name>_defconfig or make menuconfig first))
	$(Q)$(call kconfig-env,$(CURRENT_DEFCONFIG)) kconfig-conf \
		--savedefconfig=$(KCONFIG_DIR)/defconfig $(TOPDIR)/Config.in
	$(Q)$(TOPDIR)/support/kconfig/keep-header $(or $(CURRENT_DEFCONFIG),$(DEFAULT_DEFCONFIG)) $(KCONFIG_DIR)/defconfig
	@echo "tinyroot: minimal configuration written to $(or $(CURRENT_DEFCONFIG),$(DEFAULT_DEFCONFIG))"

list-defconfigs:
	@$(foreach d,$(DEFCONFIG_DIRS),echo "Defconfigs in $(d):"; \
		$(foreach f,$(sort $(notdir $(wildcard $(d)/*_defconfig))),echo "  $(f)";))

$(KCONFIG_DIR):
	$(Q)mkdir -p $@

ifeq ($(CONFIG_GOALS),)
# A build: bring auto.conf (and the per-symbol files) up to date whenever
# .config or any Config.in changed, then include it. Make restarts itself
# after remaking an included file, so everything below sees fresh values.
$(CONFIG):
	$(error no configuration in $(O): run make <name>_defconfig (see make list-defconfigs) or make menuconfig)

$(AUTOCONF) $(PACKAGE_SYMBOLS_MK) &: $(CONFIG) $(KCONFIG_FILES) | $(KCONFIG_DIR)
	$(KCONFIG_TOOLS_CHECK)
	$(Q)$(TOPDIR)/support/kconfig/keep-config-report $(CONFIG) $(CONFIG) $(KCONFIG_FILES) -- \
		$(call kconfig-env,$(CURRENT_DEFCONFIG)) kconfig-conf --olddefconfig $(TOPDIR)/Config.in
	$(Q)mkdir -p $(KCONFIG_DIR)/include/config $(KCONFIG_DIR)/include/generated
	$(Q)$(call kconfig-env,$(CURRENT_DEFCONFIG)) KCONFIG_AUTOCONFIG=$(AUTOCONF) \
		KCONFIG_AUTOHEADER=$(KCONFIG_DIR)/include/generated/autoconf.h \
		kconfig-conf --silentoldconfig $(TOPDIR)/Config.in </dev/null
	$(Q)$(TOPDIR)/support/kconfig/package-symbols $(TOPDIR) $(TR_EXTERNAL) >$(PACKAGE_SYMBOLS_MK).tmp
	$(Q)mv $(PACKAGE_SYMBOLS_MK).tmp $(PACKAGE_SYMBOLS_MK)
	$(Q)touch $(AUTOCONF)

include $(AUTOCONF)
include $(PACKAGE_SYMBOLS_MK)
endif

# The file of one symbol: TR_FOO_BAR -> include/config/tr/foo/bar.h
kconfig-symbol-file = $(KCONFIG_DIR)/include/config/$(subst _,/,$(call lowercase,$(1))).h
