# tinyroot: builds a small Linux VM (kernel + initramfs) from source.
#
#   make help        lists every target and variable
#
# This file only sets up paths and the verbosity; each concept lives in its
# own file under support/make/, included below in the order they need.

# Bash for recipes: pipefail, and `[ -nt ]` with sub-second precision.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
MAKEFLAGS += --no-print-directory --no-builtin-rules --no-builtin-variables
.SUFFIXES:
# Stamps are never intermediate files: make must not delete them.
.SECONDARY:

# GNU make splits paths at spaces and takes ':' for a rule: a path with
# either cannot work. $(call make-safe-path,WHAT,PATH,FIX) stops at once.
make-safe-path = $(if $(or $(filter-out 1,$(words $(2))),$(findstring :,$(2))),$(error \
	$(1)'$(2)': GNU make cannot build with a space or ':' in this path; $(3)),$(2))
TOPDIR := $(call make-safe-path,the tinyroot tree at ,$(CURDIR),move or clone it to a path without them)

# O=dir: out-of-tree build; every generated file, .config included, lives there.
O ?= $(TOPDIR)/output
override O := $(abspath $(call make-safe-path,O=,$(O),give O= a directory without them))
BUILD_DIR := $(O)/build
IMAGES_DIR := $(O)/images
CONFIG := $(O)/.config
# User-written files beside the build (defconfig, local.mk): the tree for an
# in-tree build, O otherwise.
USER_DIR := $(if $(filter $(TOPDIR)/output,$(O)),$(TOPDIR),$(O))

# V=1 shows full commands and their output; the default is one line a step.
ifeq ($(V),1)
Q :=
else
Q := @
endif

# The builder's environment must not reach what is built: C formats and
# messages (dates, decimal points), UTC, and modes from umask 0022. The
# menus keep the user's locale: they draw its characters and build nothing.
INTERACTIVE_GOALS := menuconfig nconfig config oldconfig
ifeq ($(filter $(INTERACTIVE_GOALS),$(MAKECMDGOALS)),)
export LC_ALL := C
# The kernel's Makefile unexports LC_ALL: its compilers then see these,
# which ccache hashes, so a builder's locale would miss every kernel object
# that another locale cached.
export LANG := C
unexport LC_CTYPE LC_MESSAGES
endif
export TZ := UTC
BUILD_UMASK := 0022

# Goals that work without a configuration (or create one).
NO_CONFIG_GOALS := help list-defconfigs clean distclean menuconfig nconfig config oldconfig \
	olddefconfig savedefconfig defconfig %_defconfig check check-slow bench
CONFIG_GOALS := $(filter $(NO_CONFIG_GOALS),$(MAKECMDGOALS))
BUILD_GOALS := $(filter-out $(NO_CONFIG_GOALS),$(MAKECMDGOALS))

.DEFAULT_GOAL := all
.PHONY: all FORCE
FORCE:

ifneq ($(shell umask),$(BUILD_UMASK))
# make cannot set the umask of its recipes: run again under it.
$(sort all $(MAKECMDGOALS)): tr-with-umask ; @:
.PHONY: tr-with-umask
tr-with-umask:
	$(Q)umask $(BUILD_UMASK) && $(MAKE) $(MAKECMDGOALS)
RESTARTED_GOALS := y
else ifneq ($(CONFIG_GOALS),)
ifneq ($(BUILD_GOALS),)
# A mix such as `make foo_defconfig all`: run each goal in turn, as the kernel does.
$(MAKECMDGOALS): tr-goals-in-turn ; @:
.PHONY: tr-goals-in-turn
tr-goals-in-turn:
	$(Q)for goal in $(MAKECMDGOALS); do $(MAKE) "$$goal" || exit; done
MIXED_GOALS := y
endif
endif

ifeq ($(MIXED_GOALS)$(RESTARTED_GOALS),)
include support/make/utils.mk
include support/make/environment.mk
include support/make/download.mk
include support/make/kconfig.mk
ifeq ($(CONFIG_GOALS),)
# Building: the configuration is known from here on.
include support/make/host-deps.mk
include support/make/arch.mk
include support/make/toolchain.mk
include support/make/ccache.mk
include support/make/distcc.mk
include support/make/autotools.mk
include support/make/package-kconfig.mk
include support/make/package.mk
include support/make/rootfs.mk
include support/make/syslinux.mk
include support/make/systemd-boot.mk
include support/make/image-ext4.mk
include support/make/image-squashfs.mk
include support/make/image-disk.mk
include support/make/image-iso.mk
include support/make/image-floppy.mk
include support/make/run.mk
include support/make/graph.mk
endif
include support/make/clean.mk
include support/make/check.mk
include support/make/help.mk
endif
