# Build options the environment overrides, as a CI job or a one-off build
# sets them: TR_DL_DIR=dir, TR_CCACHE=y|n, TR_CCACHE_DIR=dir. Included before
# the configuration is read: a non-empty value from the environment becomes
# an override, so that neither auto.conf's value replaces it here nor,
# re-exported, in the sub-makes (<pkg>-rebuild) that inherit it.
ENVIRONMENT_OVERRIDES := TR_DL_DIR TR_CCACHE TR_CCACHE_DIR
$(foreach v,$(ENVIRONMENT_OVERRIDES),$(if $(and $(filter environment,$(origin $(v))),$(value $(v))),\
	$(eval override $(v) := $(value $(v)))))

ifeq ($(origin TR_CCACHE),override)
ifneq ($(filter-out y n,$(TR_CCACHE)),)
$(error TR_CCACHE=$(TR_CCACHE) in the environment: give y (use ccache) or n (do not))
endif
endif
