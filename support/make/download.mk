# Where sources are kept: dl/ in the tree, or TR_DL_DIR from the
# configuration, or TR_DL_DIR from the environment (which wins). Shared by
# every O= build. Included before the configuration is read: a non-empty
# TR_DL_DIR from the environment becomes an override, so that neither
# auto.conf's value replaces it here nor, re-exported, in the sub-makes
# (<pkg>-rebuild) that inherit it.
ifneq ($(and $(filter environment,$(origin TR_DL_DIR)),$(TR_DL_DIR)),)
override TR_DL_DIR := $(TR_DL_DIR)
endif
DL_DIR_FIX := set TR_DL_DIR to a directory without them
DL_DIR = $(call config-path,$(call make-safe-path,TR_DL_DIR=,$(or $(call qstrip,$(TR_DL_DIR)),dl),$(DL_DIR_FIX)))
