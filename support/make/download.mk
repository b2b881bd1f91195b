# Where sources are kept: dl/ in the tree, or TR_DL_DIR from the
# configuration, or TR_DL_DIR from the environment (which wins, see
# environment.mk). Shared by every O= build.
DL_DIR_FIX := set TR_DL_DIR to a directory without them
DL_DIR = $(call config-path,$(call make-safe-path,TR_DL_DIR=,$(or $(call qstrip,$(TR_DL_DIR)),dl),$(DL_DIR_FIX)))
