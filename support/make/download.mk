# Where sources are kept: dl/ in the tree, or TR_DL_DIR from the
# configuration, or TR_DL_DIR from the environment (which wins). Shared by
# every O= build. Included before the configuration is read, to catch the
# environment's value before the configuration's replaces it.
DL_DIR_FROM_ENV := $(if $(filter environment command,$(origin TR_DL_DIR)),$(TR_DL_DIR))
DL_DIR = $(call config-path,$(or $(DL_DIR_FROM_ENV),$(call qstrip,$(TR_DL_DIR)),dl))
