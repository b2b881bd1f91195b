# Packages configured by a kconfig of their own (BusyBox, toybox): how their
# .config is made, and their configuration tools. The package's .mk sets
#   NAME_MAKE              its make command
#   NAME_FRAGMENT          for the configurations made of allnoconfig and a
#                          fragment (its "small" choice): that fragment
#                          (blanks alone count as none)
#   NAME_DERIVED_FRAGMENT  the options the configuration decides (a define)
#   NAME_CUSTOM_CONFIG     the custom config file
# and its Config.in the choice TR_PACKAGE_NAME_CONFIG_DEFCONFIG | ... |
# TR_PACKAGE_NAME_CONFIG_CUSTOM.

# $(call package-kconfig-configure,NAME): the configure commands. The base
# (the package's defconfig, allnoconfig, or the custom file), the fragments
# applied over it, every other option at its default (neither kconfig has
# olddefconfig: oldconfig, each question answered with its default), then
# each value of the fragments checked.
define package-kconfig-configure
$(if $(TR_PACKAGE_$(1)_CONFIG_DEFCONFIG),$($(1)_MAKE) defconfig)
$(if $(strip $($(1)_FRAGMENT)),$($(1)_MAKE) allnoconfig)
$(if $(TR_PACKAGE_$(1)_CONFIG_CUSTOM),cp $($(1)_CUSTOM_CONFIG) $(SRC_DIR)/.config)
$(call lines-to-file,$(1)_DERIVED_FRAGMENT,$(SRC_DIR)/tinyroot.fragment)
$(TOPDIR)/support/kconfig/fragments apply $(SRC_DIR)/.config $($(1)_FRAGMENT) $(SRC_DIR)/tinyroot.fragment
(yes "" || true) | $($(1)_MAKE) oldconfig >/dev/null
$(TOPDIR)/support/kconfig/fragments check $(SRC_DIR)/.config $($(1)_FRAGMENT) $(SRC_DIR)/tinyroot.fragment
endef

# make NAME-menuconfig, then NAME-update-config writes the whole .config
# back to the custom config file (neither kconfig has savedefconfig):
#   $(eval $(call package-kconfig-tools,NAME,LABEL))   (name in lower case)
define package-kconfig-tools
.PHONY: $(1)-menuconfig $(1)-update-config
$(1)-menuconfig $(1)-update-config: SRC_DIR = $$($(call uppercase,$(1))_DIR)/src
$(1)-menuconfig $(1)-update-config: $(1)-configure

$(1)-menuconfig:
	$$(Q)$$(TOPDIR)/support/scripts/isolated $$($(call uppercase,$(1))_MAKE) menuconfig
	$$(Q)rm -f $$($(call uppercase,$(1))_DIR)/.stamp_built $$($(call uppercase,$(1))_DIR)/.stamp_installed

$(1)-update-config:
	@if [ "$$(TR_PACKAGE_$(call uppercase,$(1))_CONFIG_CUSTOM)" != y ]; then \
		echo "tinyroot: $(1)-update-config needs $(2) configuration = custom config file (set it, with the file to write, in make menuconfig)" >&2; \
		exit 1; fi
	$$(Q)cp $$(SRC_DIR)/.config $$($(call uppercase,$(1))_CUSTOM_CONFIG)
	@echo "tinyroot: $(2) configuration written to $$($(call uppercase,$(1))_CUSTOM_CONFIG)"
endef
