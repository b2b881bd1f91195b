# Small functions shared by the other make files.

# Kconfig string values keep their quotes in auto.conf: "foo" -> foo
qstrip = $(strip $(subst ",,$(1)))

uppercase = $(subst -,_,$(subst a,A,$(subst b,B,$(subst c,C,$(subst d,D,$(subst e,E,$(subst f,F,$(subst \
	g,G,$(subst h,H,$(subst i,I,$(subst j,J,$(subst k,K,$(subst l,L,$(subst m,M,$(subst n,N,$(subst \
	o,O,$(subst p,P,$(subst q,Q,$(subst r,R,$(subst s,S,$(subst t,T,$(subst u,U,$(subst v,V,$(subst \
	w,W,$(subst x,X,$(subst y,Y,$(subst z,Z,$(1))))))))))))))))))))))))))))

lowercase = $(subst A,a,$(subst B,b,$(subst C,c,$(subst D,d,$(subst E,e,$(subst F,f,$(subst \
	G,g,$(subst H,h,$(subst I,i,$(subst J,j,$(subst K,k,$(subst L,l,$(subst M,m,$(subst N,n,$(subst \
	O,o,$(subst P,p,$(subst Q,q,$(subst R,r,$(subst S,s,$(subst T,t,$(subst U,u,$(subst V,v,$(subst \
	W,w,$(subst X,x,$(subst Y,y,$(subst Z,z,$(1)))))))))))))))))))))))))))

# The words of a list without repeats, each where it first appears.
uniq = $(if $(1),$(firstword $(1)) $(call uniq,$(filter-out $(firstword $(1)),$(1))))

# A path from the configuration: absolute as given, otherwise relative to the tree.
config-path = $(if $(1),$(abspath $(if $(filter /%,$(1)),$(1),$(TOPDIR)/$(1))))

define newline


endef

# $(call lines-to-file,VARIABLE,FILE): a shell command writing the lines of a
# multi-line variable (a define, named so its commas are safe) to FILE.
lines-to-file = printf '%s\n' '$(subst $(newline),' ',$($(1)))' >$(2)

# $(call value-file,NAME,VALUE): the path of a file that holds VALUE and is
# rewritten only when VALUE changes. A step that depends on it reruns when a
# list changes, even when the change removes a file from the list.
VALUES_DIR := $(BUILD_DIR)/values
value-file = $(VALUES_DIR)/$(1)$(call refresh-value-file,$(VALUES_DIR)/$(1),$(strip $(2)))
refresh-value-file = $(if $(and $(wildcard $(1)),$(call same-text,$(call read-file,$(1)),$(strip $(2)))),,$(call write-file,$(1),$(2)))
# A file's text, whitespace-stripped: GNU make 4.3's $(file <) keeps the
# last newline when its buffer grows while reading (files of a few hundred
# bytes), and a value that never compares equal rebuilds on every make.
read-file = $(strip $(file <$(1)))
write-file = $(if $(wildcard $(dir $(1))),,$(shell mkdir -p $(dir $(1))))$(file >$(1),$(2))
same-text = $(if $(1)$(2),$(and $(findstring $(1),$(2)),$(findstring $(2),$(1))),same)
