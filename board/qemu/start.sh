#!/bin/bash
# board/qemu/start.sh: boots what the last tinyroot build produced, in QEMU.
#
#   board/qemu/start.sh [options] [-- extra QEMU arguments]      (--help)
#
# It reads <output>/images/qemu.conf, a shell fragment written by the build
# (the launcher never parses .config), with these variables:
#   QEMU_ARCH               x86_64 | aarch64 | riscv64: which QEMU, and the
#                           machine it emulates (launcher/arch.sh)
#   QEMU_KERNEL             kernel image, relative to the images directory:
#                           vmlinux when the kernel has the PVH entry point
#                           (QEMU starts it with nothing to decompress), else
#                           bzImage, or Image on aarch64 and riscv64
#   QEMU_INITRD             initramfs image, empty when built into the kernel
#   QEMU_CONSOLE            serial | graphical | both
#   QEMU_MACHINE            pc | q35 | microvm (x86_64), virt (aarch64, riscv64)
#   QEMU_MEMORY, QEMU_CPUS  MiB, count
#   QEMU_APPEND             extra kernel arguments from the configuration
#   QEMU_GRAPHICAL_CAPABLE  y when the kernel has the VT/VGA console, else n
#   QEMU_POWEROFF           acpi | reboot (the kernel has no ACPI: the VM ends
#                           through a reboot, which -no-reboot turns into an
#                           exit; microvm then needs reboot=t, a triple fault)
#                           | firmware (the virt boards: PSCI, SBI)
#   QEMU_NET                user | restricted | none: the VM's network (below)
#   QEMU_FORWARDS           [tcp:|udp:]HOSTPORT:GUESTPORT ..., space-separated:
#                           ports of the host's 127.0.0.1 forwarded to the VM
#                           (dropped with the network)
#   QEMU_NET_CAPABLE        y when the kernel has virtio-net, else n: the VM
#                           then has no network device
#   QEMU_SHARE_CAPABLE      y when the kernel has 9p over virtio (--share)
#   QEMU_FW_CFG_CAPABLE     y when the kernel shows QEMU's fw_cfg files in
#                           sysfs (--exec on the firmware paths)
#   QEMU_PCI_MSI            y when the kernel has PCI MSI (below, boot time)
#   QEMU_SSH                y when the image has the SSH server (dropbear)
#   QEMU_SSH_HOST_KEYS      first-boot | build-time: with build-time keys,
#                           images/known_hosts holds the server's key
#   QEMU_BOOT               kernel | disk | iso | floppy: what --boot boots
#                           by default (launcher/boot.sh)
#   QEMU_UEFI               y when disk.img and tinyroot.iso have a UEFI
#                           bootloader (--boot uefi, uefi-iso)
#
# Network: QEMU user networking (no privileges needed) with a virtio NIC; the
# guest gets 10.0.2.15 from QEMU's DHCP server, and 10.0.2.2 is the host's
# loopback. restricted (restrict=on) drops whatever the guest sends except
# to the --guestfwd addresses, so the VM reaches nothing else, neither the
# host nor beyond. Forwards from the host always listen on 127.0.0.1: QEMU's
# default for hostfwd is every interface, which would open the VM (root, no
# password) to the network. A --guestfwd runs a relay (bash's /dev/tcp) for
# each connection of the VM to 10.0.2.100:GUESTPORT: QEMU's own tcp: target
# would be one connection, opened at start and shared by every connection
# of the VM, so that the second one hangs once an HTTP server has closed it.
# start.sh checks that the server listens (and that every --forward host
# port is free) before QEMU starts.
#
# --ssh: the VM boots headless (its console goes to <output>/ssh-console.log)
# with a free port of 127.0.0.1 forwarded to its port 22. The public half of
# the SSH key goes in as a small cpio after the initramfs (lz4 after lz4; the
# kernel unpacks one archive after the other, later files replacing earlier
# ones), so any image with the server takes any key without a rebuild.
# start.sh waits for the server's banner, runs ssh as root into the VM,
# then powers the VM off, and exits with ssh's status.
#
# How the VM ends, and what start.sh makes of it:
#   - QEMU always gets -no-reboot, the pvpanic device and
#     -action panic=exit-failure, and the kernel panic=-1. A poweroff (or a
#     reboot) ends QEMU with status 0; a kernel panic reaches QEMU through
#     pvpanic (on x86_64 the ISA device, which the kernel's
#     CONFIG_PVPANIC_MMIO finds through ACPI, on pc, q35 and microvm alike;
#     on the virt boards pvpanic-pci, CONFIG_PVPANIC_PCI) and QEMU exits
#     with 1. QEMU's own errors
#     also exit with 1: QEMU runs with -d guest_errors -D <log>, and a panic
#     is the one that logs "Guest crashed" there.
#   - Without pvpanic in the kernel a panic reboots, and QEMU exits with 0.
#
# --exec CMD: the command goes to the C init (tinyinit) on the kernel command
# line as tinyinit_exec=<lowercase hex of its bytes> (on the firmware paths,
# whose command line is the bootloader's, in the same words through QEMU's
# fw_cfg, opt/tinyroot/tinyinit, which the kernel shows in sysfs with
# CONFIG_FW_CFG_SYSFS; the boot log then comes first); the init runs
# /bin/sh -c CMD on the console, prints "tinyroot: exit status N" (maybe
# followed by " (signal S)") and powers off. start.sh streams the console to
# stdout, keeps a copy, and exits with N; 255 (as ssh does) when the VM ended
# without that line. On x86_64 the VM has QEMU's isa-debug-exit device, and
# the init (told by tinyinit_debug_exit=PORT) powers off by writing to it
# through /dev/port: QEMU ends at once, with status 1 (the status a write of
# 0 gives), before the kernel's slower ACPI power-off would begin. The
# command's own status still comes from the console line. (The virt boards
# have no I/O ports: their init powers off through the firmware.)
#
# Boot time: QEMU gets -nodefaults (no default NIC with its option ROM, no
# VGA card unless a screen is wanted, no floppy, CD-ROM or parallel port to
# probe) and, without a screen, qboot as firmware (QEMU's minimal one, from
# its data directory; Debian's qemu-system-data ships it) instead of
# SeaBIOS, whose VGA BIOS only the VGA console needs. The kernel gets
# no_timer_check (the IO-APIC timer test waits for ticks; QEMU's timer is
# always wired right) and, when it has MSI, pci=noacpi (pc and q35): the virtio devices
# then take MSI-X interrupts, and the kernel skips evaluating the ACPI PCI
# interrupt links, which costs about 0.3 s under TCG (qboot has no PCI
# interrupt routing table, so without MSI the links are needed).
#
# microvm under TCG: microvm has no HPET, no ACPI PM timer and no port 0x61
# (PIT channel 2 gate), so the kernel can calibrate the TSC only with the
# timing-sensitive fast PIT method, which fails when the host is busy; the
# kernel then hangs in calibrate_delay() with no timer interrupt. -icount
# puts the TSC and the PIT on the same virtual clock, so the calibration
# always succeeds (sleep=off keeps the guest's idle time real-time).
# shellcheck source-path=SCRIPTDIR
set -eu

me=start.sh

case $0 in
*/*) script_dir=$(cd -- "${0%/*}" && pwd) ;;
*) script_dir=$(cd -- "$(dirname -- "$(command -v -- "$0")")" && pwd) ;;
esac
topdir=$(cd -- "$script_dir/../.." && pwd)

usage() {
	cat <<EOF
Usage: board/qemu/start.sh [options] [-- extra QEMU arguments]

Boots the last tinyroot build (kernel + initramfs, or a bootable image) in QEMU, with the settings
the build wrote to <output>/images/qemu.conf; the options override them.
x86_64 boots with qemu-system-x86_64, aarch64 and riscv64 on QEMU's virt
board with qemu-system-aarch64 and qemu-system-riscv64.
A poweroff in the VM exits 0; a kernel panic exits 1 (the kernel needs
pvpanic, CONFIG_PVPANIC_MMIO or _PCI, to tell QEMU); QEMU's own failure
exits with QEMU's status.

Options:
  --output DIR        the build's output directory: boots DIR/images
                      (default: \$O if set, else output/ in the tinyroot tree)
  --boot WHAT         kernel (QEMU loads the kernel and the initramfs), disk
                      (images/disk.img as a hard disk), iso (tinyroot.iso
                      as a CD-ROM) or floppy (floppy.img as drive A:),
                      through the PC's BIOS and syslinux; uefi or uefi-iso
                      (disk.img or the ISO under OVMF and systemd-boot); all with
                      the kernel command line the build gave them (default:
                      the first of disk, iso, floppy the build made, else
                      kernel; kernel with --exec, --ssh or --append; the
                      firmware paths take --exec, not --ssh or --append)
  --disk-bus BUS      how --boot disk or uefi attaches disk.img: virtio (the
                      default), ahci (SATA), nvme or usb (a USB stick on
                      xHCI): a real PC's disks, for a kernel with their
                      drivers (Kernel → Drivers for real PCs)
  --serial            console on the serial port, in this terminal
                      (-serial mon:stdio, console=ttyS0 or ttyAMA0; Ctrl-A X
                      quits QEMU)
  --graphical         console on the VGA screen, in a window (console=tty0;
                      x86_64 only)
  --both              window and serial here; the serial console is primary
  --display TYPE      display for --graphical/--both: none, vnc=127.0.0.1:N,
                      gtk or sdl (default: QEMU's default, needs \$DISPLAY or
                      \$WAYLAND_DISPLAY); ignored with the serial console
  --accel ACCEL       kvm, tcg or auto (default auto: KVM when a quick probe
                      shows it runs guest code, else TCG, with a note; the
                      verdict is kept for this host boot in
                      ~/.cache/tinyroot/kvm-probe; another architecture
                      than the host's is always TCG)
  --machine TYPE      pc, q35 or microvm (x86_64); virt (aarch64, riscv64)
  --mem MIB           memory in MiB
  --cpus N            number of CPUs
  --append ARGS       more kernel command line arguments (repeatable)
  --net MODE          user (QEMU user networking: the VM reaches what the
                      host reaches; the host's 127.0.0.1 is 10.0.2.2 there),
                      restricted (the same, but the VM reaches nothing except
                      the --guestfwd addresses) or none (no network device)
                      (default: qemu.conf's QEMU_NET; none when the kernel
                      has no virtio-net)
  --forward [tcp:|udp:]HOSTPORT:GUESTPORT
                      the host's 127.0.0.1:HOSTPORT reaches the VM's
                      GUESTPORT (repeatable; tcp by default; only ever on
                      127.0.0.1; adds to qemu.conf's QEMU_FORWARDS)
  --guestfwd GUESTPORT:HOSTPORT
                      the VM's 10.0.2.100:GUESTPORT reaches a TCP server on
                      the host's 127.0.0.1:HOSTPORT, restricted too
                      (repeatable; the server must already listen)
  --share DIR         the host folder DIR at /mnt/host in the VM (virtio-9p);
                      files the VM writes there belong to the user running QEMU
  --ssh               boot headless and log in over SSH (the image needs the
                      dropbear package); the VM powers off when ssh ends
  --ssh-command CMD   the same, but run CMD there; exit with its status
  --ssh-key FILE      the private key ssh uses; FILE.pub goes into the VM
                      (default: ~/.ssh/id_ed25519, id_ecdsa or id_rsa)
  --exec CMD          run CMD in the VM with /bin/sh -c (C init only), show
                      its output, power off, and exit with CMD's exit status
                      (255 when the VM ends without reporting it); forces the
                      serial console and a quiet kernel; with a firmware
                      --boot, through QEMU's fw_cfg, after the boot log
  --dry-run           print the QEMU command line, one argument per line,
                      instead of running it
  -h, --help          this help
  --                  the rest of the arguments go to QEMU verbatim

Errors exit 1 (2 for a usage error). Build with 'make'; out of tree with
'make O=DIR', then 'board/qemu/start.sh --output DIR' or 'O=DIR board/qemu/start.sh'.
EOF
}

die() {
	printf '%s: %s\n' "$me" "$*" >&2
	exit 1
}

fail() { # status message
	local status=$1
	shift
	printf '%s: %s\n' "$me" "$*" >&2
	exit "$status"
}

usage_error() {
	printf '%s: %s (see --help)\n' "$me" "$*" >&2
	exit 2
}

is_count() {
	case $1 in
	'' | *[!0-9]* | 0*) return 1 ;;
	esac
}

# Number of bytes (not characters) in $1.
byte_length() {
	printf '%s' "$1" | wc -c | tr -d ' '
}

# Lowercase hex of the bytes of $1, with POSIX od (no xxd).
hex_encode() {
	printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'
}

tmp=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$tmp" ]; then
		rm -rf -- "$tmp"
	fi
}
trap cleanup EXIT
make_tmp() {
	if [ -z "$tmp" ]; then
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/tinyroot-start.XXXXXX")
	fi
}

# QEMU splits option values at commas; a literal comma is written twice.
qemu_escape() {
	printf '%s' "${1//,/,,}"
}

# The launcher's other concepts, a file each.
# shellcheck source=launcher/arch.sh
. "$script_dir/launcher/arch.sh"
# shellcheck source=launcher/boot.sh
. "$script_dir/launcher/boot.sh"
# shellcheck source=launcher/kvm.sh
. "$script_dir/launcher/kvm.sh"
# shellcheck source=launcher/net.sh
. "$script_dir/launcher/net.sh"
# shellcheck source=launcher/ssh.sh
. "$script_dir/launcher/ssh.sh"

# --- options -----------------------------------------------------------------

opt_output=
opt_boot=
opt_console=
opt_display=
opt_accel=auto
opt_machine=
opt_disk_bus=
opt_mem=
opt_cpus=
opt_append=
opt_exec=
have_exec=n
opt_net=
opt_forwards=()
opt_guestfwds=()
opt_share=
have_ssh=n
opt_ssh_command=
opt_ssh_key=
dry_run=n
extra=()

set_option() { # name value
	case $1 in
	--output) opt_output=$2 ;;
	--boot)
		case $2 in
		kernel | disk | uefi | iso | uefi-iso | floppy) opt_boot=$2 ;;
		*) usage_error "--boot: expected kernel, disk, uefi, iso, uefi-iso or floppy, not '$2'" ;;
		esac
		;;
	--display)
		case $2 in
		none | gtk | sdl | gtk,* | sdl,* | vnc=?*) opt_display=$2 ;;
		*) usage_error "--display: expected none, vnc=127.0.0.1:N, gtk or sdl, not '$2'" ;;
		esac
		;;
	--accel)
		case $2 in
		kvm | tcg | auto) opt_accel=$2 ;;
		*) usage_error "--accel: expected kvm, tcg or auto, not '$2'" ;;
		esac
		;;
	--disk-bus)
		case $2 in
		virtio | ahci | nvme | usb) opt_disk_bus=$2 ;;
		*) usage_error "--disk-bus: expected virtio, ahci, nvme or usb, not '$2'" ;;
		esac
		;;
	--machine)
		case $2 in
		pc | q35 | microvm | virt) opt_machine=$2 ;;
		*) usage_error "--machine: expected pc, q35, microvm or virt, not '$2'" ;;
		esac
		;;
	--mem)
		is_count "$2" || usage_error "--mem: expected a number of MiB, not '$2'"
		opt_mem=$2
		;;
	--cpus)
		is_count "$2" || usage_error "--cpus: expected a number of CPUs, not '$2'"
		opt_cpus=$2
		;;
	--append) opt_append=${opt_append:+$opt_append }$2 ;;
	--exec)
		[ -n "$2" ] || usage_error "--exec: the command is empty"
		opt_exec=$2
		have_exec=y
		;;
	--net)
		case $2 in
		user | restricted | none) opt_net=$2 ;;
		*) usage_error "--net: expected user, restricted or none, not '$2'" ;;
		esac
		;;
	--forward)
		parse_forward "$2" || usage_error "--forward: expected $forward_syntax, not '$2'"
		opt_forwards+=("$2")
		;;
	--guestfwd)
		split_ports "$2" || usage_error "--guestfwd: expected GUESTPORT:HOSTPORT with ports 1-65535, not '$2'"
		opt_guestfwds+=("$2")
		;;
	--share)
		[ -n "$2" ] || usage_error "--share: the folder is empty"
		opt_share=$2
		;;
	--ssh-command)
		[ -n "$2" ] || usage_error "--ssh-command: the command is empty"
		opt_ssh_command=$2
		have_ssh=y
		;;
	--ssh-key)
		[ -n "$2" ] || usage_error "--ssh-key: the file name is empty"
		opt_ssh_key=$2
		;;
	esac
}

while [ $# -gt 0 ]; do
	case $1 in
	-h | --help)
		usage
		exit 0
		;;
	--serial | --graphical | --both) opt_console=${1#--} ;;
	--dry-run) dry_run=y ;;
	--ssh) have_ssh=y ;;
	--output | --boot | --disk-bus | --display | --accel | --machine | --mem | --cpus | --append | --exec | \
		--net | --forward | --guestfwd | --share | --ssh-command | --ssh-key)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		set_option "$1" "$2"
		shift
		;;
	--output=* | --boot=* | --disk-bus=* | --display=* | --accel=* | --machine=* | --mem=* | --cpus=* | \
		--append=* | --exec=* | --net=* | --forward=* | --guestfwd=* | --share=* | --ssh-command=* | --ssh-key=*)
		set_option "${1%%=*}" "${1#*=}"
		;;
	--)
		shift
		extra=("$@")
		break
		;;
	*) usage_error "unknown option: $1" ;;
	esac
	shift
done

# --- the images and QEMU -----------------------------------------------------

if [ -n "$opt_output" ]; then
	output=$opt_output
	make_cmd="make O=$output"
elif [ -n "${O:-}" ]; then
	output=$O
	make_cmd="make O=$output"
else
	output=$topdir/output
	make_cmd="make"
fi
images=$output/images
if [ ! -f "$images/qemu.conf" ]; then
	if [ -d "$images" ]; then
		die "nothing to boot: $images has no qemu.conf; build the images first with '$make_cmd'"
	fi
	die "nothing to boot: no images in $images; build them first with '$make_cmd'"
fi

unset QEMU_ARCH QEMU_KERNEL QEMU_INITRD QEMU_CONSOLE QEMU_MACHINE QEMU_MEMORY QEMU_CPUS \
	QEMU_APPEND QEMU_GRAPHICAL_CAPABLE QEMU_POWEROFF QEMU_NET QEMU_FORWARDS \
	QEMU_NET_CAPABLE QEMU_SHARE_CAPABLE QEMU_FW_CFG_CAPABLE QEMU_PCI_MSI QEMU_SSH QEMU_SSH_HOST_KEYS \
	QEMU_BOOT QEMU_UEFI
# shellcheck source=/dev/null
. "$images/qemu.conf"
: "${QEMU_ARCH:=x86_64}" "${QEMU_KERNEL:=bzImage}" "${QEMU_INITRD:=}" "${QEMU_CONSOLE:=serial}" "${QEMU_MACHINE:=pc}"
: "${QEMU_MEMORY:=256}" "${QEMU_CPUS:=1}" "${QEMU_APPEND:=}" "${QEMU_GRAPHICAL_CAPABLE:=n}"
: "${QEMU_POWEROFF:=acpi}" "${QEMU_NET:=user}" "${QEMU_FORWARDS:=}" "${QEMU_NET_CAPABLE:=n}"
: "${QEMU_SHARE_CAPABLE:=n}" "${QEMU_PCI_MSI:=n}" "${QEMU_SSH:=n}" "${QEMU_SSH_HOST_KEYS:=first-boot}"
: "${QEMU_BOOT:=kernel}" "${QEMU_UEFI:=n}" "${QEMU_FW_CFG_CAPABLE:=n}"

kernel=$images/$QEMU_KERNEL
[ -f "$kernel" ] || die "nothing to boot: no kernel $kernel; build the images first with '$make_cmd'"
initrd=
if [ -n "$QEMU_INITRD" ]; then
	initrd=$images/$QEMU_INITRD
	[ -f "$initrd" ] || die "nothing to boot: no initramfs $initrd; build the images first with '$make_cmd'"
fi

arch_facts "$QEMU_ARCH" || die "$images/qemu.conf: QEMU_ARCH must be x86_64, aarch64 or riscv64, not '$QEMU_ARCH'"
if ! qemu_path=$(command -v "$qemu_bin"); then
	die "$qemu_bin not found: install QEMU for $QEMU_ARCH (Debian package $qemu_package), e.g. with support/scripts/install-host-deps"
fi
# QEMU's data directory (its firmware) is <prefix>/share/qemu.
qemu_datadir=$(cd -- "${qemu_path%/*}/../share/qemu" 2>/dev/null && pwd) || qemu_datadir=

console=${opt_console:-$QEMU_CONSOLE}
machine=${opt_machine:-$QEMU_MACHINE}
mem=${opt_mem:-$QEMU_MEMORY}
cpus=${opt_cpus:-$QEMU_CPUS}
case $console in
serial | graphical | both) ;;
*) die "$images/qemu.conf: QEMU_CONSOLE must be serial, graphical or both, not '$console'" ;;
esac
case " $machines " in
*" $machine "*) ;;
*)
	if [ -n "$opt_machine" ]; then
		usage_error "--machine $machine: $QEMU_ARCH boots on ${machines// /, }"
	fi
	die "$images/qemu.conf: QEMU_MACHINE must be ${machines// /, } for $QEMU_ARCH, not '$machine'"
	;;
esac
is_count "$mem" || die "$images/qemu.conf: QEMU_MEMORY must be a number of MiB, not '$mem'"
is_count "$cpus" || die "$images/qemu.conf: QEMU_CPUS must be a number, not '$cpus'"

# What boots (launcher/boot.sh): what needs the kernel command line, and
# --exec (the kernel path is the fastest), take the kernel path unless
# --boot says otherwise.
kernel_options=()
if [ -n "$opt_append" ]; then kernel_options+=(--append); fi
if [ "$have_ssh" = y ]; then kernel_options+=(--ssh); fi
if [ -n "$opt_boot" ]; then
	boot=$opt_boot
elif [ ${#kernel_options[@]} -gt 0 ] || [ "$have_exec" = y ]; then
	boot=kernel
else
	boot=$QEMU_BOOT
fi
case $boot in
kernel | disk | uefi | iso | uefi-iso | floppy) ;;
*) die "$images/qemu.conf: QEMU_BOOT must be kernel, disk, uefi, iso, uefi-iso or floppy, not '$boot'" ;;
esac
boot_check "$boot" ${kernel_options[@]+"${kernel_options[@]}"}

if [ "$have_exec" = y ]; then
	if [ -n "$opt_console" ] && [ "$opt_console" != serial ]; then
		usage_error "--exec runs the command on the serial console: it cannot go with --$opt_console"
	fi
	console=serial
fi

if [ "$have_ssh" = y ]; then
	if [ "$have_exec" = y ]; then
		usage_error "--ssh and --exec both run the VM for a command: choose one"
	fi
	if [ -n "$opt_console" ] && [ "$opt_console" != serial ]; then
		usage_error "--ssh boots the VM headless: it cannot go with --$opt_console"
	fi
	console=serial
	if [ "$QEMU_SSH" != y ]; then
		die "--ssh: the image has no SSH server: enable Packages → Dropbear SSH server (TR_PACKAGE_DROPBEAR) in '$make_cmd menuconfig' and rebuild with '$make_cmd'"
	fi
	command -v ssh >/dev/null 2>&1 ||
		die "--ssh: no ssh here: install Debian's openssh-client (support/scripts/install-host-deps does)"
	find_ssh_key
fi

if [ "$console" != serial ]; then
	if [ "$pc" != y ]; then
		die "the $QEMU_ARCH virt board has no screen, so a $console console cannot be: use --serial"
	fi
	if [ "$QEMU_GRAPHICAL_CAPABLE" != y ]; then
		die "the kernel has no VT/VGA console, so a $console console would show nothing: choose System → Console: graphical (or both) in 'make menuconfig' and rebuild, or use --serial"
	fi
	if [ "$machine" = microvm ]; then
		die "microvm has no VGA display: use --machine pc or q35 for a $console console, or --serial"
	fi
	if [ -z "$opt_display" ] && [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
		die "the $console console needs a display, and neither DISPLAY nor WAYLAND_DISPLAY is set: use --display vnc=127.0.0.1:0 (then a VNC viewer on 127.0.0.1:5900) or --serial"
	fi
fi

# Firmware and kernel image: without a screen, qboot (microvm's own firmware
# is qboot already); a screen keeps SeaBIOS, whose VGA BIOS sets up the text
# mode, and boots the bzImage: the PVH entry gets no screen information, so
# the VGA console would stay dark. The images boot through SeaBIOS: qboot
# loads a kernel from QEMU, not from disks.
firmware_args=()
if [ "$console" != serial ]; then
	if [ "$QEMU_KERNEL" = vmlinux ] && [ -f "$images/bzImage" ]; then
		kernel=$images/bzImage
	fi
elif [ "$boot" = kernel ] && [ "$pc" = y ] && [ "$machine" != microvm ] && [ -n "$qemu_datadir" ] &&
	[ -f "$qemu_datadir/qboot.rom" ]; then
	firmware_args=(-bios "$qemu_datadir/qboot.rom")
fi

# --- network and shared folder -------------------------------------------------

kernel_fix="turn on Kernel → \"Networking\" in '$make_cmd menuconfig' (TR_PACKAGE_LINUX_NETWORK) and rebuild with '$make_cmd'"
forwarding=
if [ ${#opt_forwards[@]} -gt 0 ]; then
	forwarding=--forward
elif [ ${#opt_guestfwds[@]} -gt 0 ]; then
	forwarding=--guestfwd
fi
if [ "$opt_net" = none ] && [ -n "$forwarding" ]; then
	usage_error "$forwarding needs a network: drop --net none"
fi
if [ "$QEMU_NET_CAPABLE" = y ]; then
	net=${opt_net:-$QEMU_NET}
elif [ -n "$opt_net" ] && [ "$opt_net" != none ]; then
	die "--net $opt_net: the kernel has no network driver (CONFIG_VIRTIO_NET): $kernel_fix"
elif [ -n "$forwarding" ]; then
	die "$forwarding: the kernel has no network driver (CONFIG_VIRTIO_NET): $kernel_fix"
else
	net=none
fi
case $net in
user | restricted | none) ;;
*) die "$images/qemu.conf: QEMU_NET must be user, restricted or none, not '$net'" ;;
esac
if [ "$net" = none ] && [ -n "$forwarding" ]; then
	usage_error "$forwarding needs a network, and qemu.conf has none (QEMU_NET=none): add --net restricted or --net user"
fi

if [ "$have_ssh" = y ] && [ "$net" = none ]; then
	if [ "$QEMU_NET_CAPABLE" != y ]; then
		die "--ssh: the kernel has no network driver (CONFIG_VIRTIO_NET): $kernel_fix"
	fi
	usage_error "--ssh needs a network: use --net restricted or --net user, not none"
fi

if [ "$machine" = microvm ]; then
	virtio_transport=device # microvm has no PCI bus: virtio-mmio
	nic_options=
else
	virtio_transport=pci
	nic_options=,romfile= # no iPXE option ROM: loading it costs boot time
fi

if [ "$net" = none ]; then
	net_args=(-nic none)
else
	netdev=user,id=net0
	if [ "$net" = restricted ]; then
		netdev=$netdev,restrict=on
	fi
	read -r -a configured_forwards <<<"$QEMU_FORWARDS"
	add_forwards "qemu.conf's QEMU_FORWARDS" ${configured_forwards[@]+"${configured_forwards[@]}"}
	add_forwards --forward ${opt_forwards[@]+"${opt_forwards[@]}"}
	for spec in ${opt_guestfwds[@]+"${opt_guestfwds[@]}"}; do
		split_ports "$spec"
		not_forwarded_yet "guest:$first_port" ||
			usage_error "--guestfwd $spec: port $first_port of 10.0.2.100 is already forwarded: drop one of the two"
		host_port_listens "$second_port" ||
			die "--guestfwd $spec: nothing listens on 127.0.0.1:$second_port: start the server first"
		relay="bash -c 'exec 3<>/dev/tcp/127.0.0.1/$second_port; cat <&3 & cat >&3; wait'"
		netdev=$netdev,guestfwd=tcp:10.0.2.100:$first_port-cmd:$(qemu_escape "$relay")
	done
	if [ "$have_ssh" = y ]; then
		# The first free port from 10022 (QEMU could still lose a race for it).
		ssh_port=10022
		while [ -n "$(host_port_problem tcp "$ssh_port")" ] || ! not_forwarded_yet "tcp:$ssh_port"; do
			ssh_port=$((ssh_port + 1))
			[ "$ssh_port" -le 10999 ] || die "--ssh: no free port of 127.0.0.1 between 10022 and 10999"
		done
		netdev=$netdev,hostfwd=tcp:127.0.0.1:$ssh_port-:22
	fi
	net_args=(-netdev "$netdev" -device "virtio-net-$virtio_transport,netdev=net0$nic_options")
fi

# security_model=none: QEMU creates the files with its own credentials, then
# tries to give them the guest's owner and ignores the failure (which it
# always is when QEMU is not root), so what the VM writes belongs on the host
# to the user running QEMU, with the modes the guest set. mapped-xattr gives
# the same owner but keeps the guest's owner and modes in xattrs: every host
# file 0600, and it needs user xattrs (tmpfs has them only since Linux 6.6).
# Once its commas are doubled, QEMU takes any path as it is.
share_args=()
if [ -n "$opt_share" ]; then
	if [ "$QEMU_SHARE_CAPABLE" != y ]; then
		die "--share: the kernel has no 9p over virtio (CONFIG_NET_9P_VIRTIO, CONFIG_9P_FS): $kernel_fix"
	fi
	[ -e "$opt_share" ] || die "--share: no folder $opt_share: create it, or share another"
	[ -d "$opt_share" ] || die "--share: $opt_share is not a folder: share the folder it is in, or another"
	if [ ! -r "$opt_share" ] || [ ! -x "$opt_share" ]; then
		die "--share: $(id -un) may not read the folder $opt_share: give them access, or run as its owner"
	fi
	share_args=(-fsdev "local,id=share0,path=$(qemu_escape "$opt_share"),security_model=none"
		-device "virtio-9p-$virtio_transport,fsdev=share0,mount_tag=host")
fi

# --- accelerator ---------------------------------------------------------------

# KVM runs a guest of the host's own architecture only, and the probe
# boots a PC: another architecture's guest is always emulated.
accel=$opt_accel
host_arch=$(uname -m)
if [ "$accel" = kvm ] && [ "$QEMU_ARCH" != "$host_arch" ]; then
	usage_error "--accel kvm: KVM cannot run an $QEMU_ARCH guest on this $host_arch host: use --accel tcg"
fi
if [ "$accel" = auto ]; then
	if [ "$QEMU_ARCH" != "$host_arch" ]; then
		accel=tcg
	elif [ "$pc" = y ] && kvm_works_cached; then
		accel=kvm
	else
		[ "$pc" = y ] || kvm_problem="no KVM probe for $QEMU_ARCH hosts; --accel kvm to try it"
		printf '%s: KVM does not work here (%s); using TCG, which is slower\n' "$me" "$kvm_problem" >&2
		accel=tcg
	fi
fi

# --- kernel command line -------------------------------------------------------

case $console in
serial) cmdline="console=$serial_console" ;;
graphical) cmdline="console=tty0" ;;
both) cmdline="console=tty0 console=$serial_console" ;;
esac
cmdline="$cmdline panic=-1"
if [ "$pc" = y ]; then
	cmdline="$cmdline no_timer_check"
fi
# (not on microvm: it has no PCI, and pci=noacpi hides its virtio-mmio devices)
if [ "$pc" = y ] && [ "$QEMU_PCI_MSI" = y ] && [ "$machine" != microvm ]; then
	cmdline="$cmdline pci=noacpi"
fi
if [ "$machine" = microvm ] && [ "$QEMU_POWEROFF" = reboot ]; then
	cmdline="$cmdline reboot=t"
fi
if [ -n "$QEMU_APPEND" ]; then
	cmdline="$cmdline $QEMU_APPEND"
fi
debug_exit_port=0xf4
if [ "$have_exec" = y ]; then
	# quiet and only emergency messages (a panic's among them): the
	# command's output without the boot log; and on the PC the init's
	# power-off through QEMU's isa-debug-exit device (below).
	cmdline="$cmdline quiet loglevel=1"
	if [ "$pc" = y ]; then
		cmdline="$cmdline tinyinit_debug_exit=$debug_exit_port"
	fi
fi
if [ -n "$opt_append" ]; then
	cmdline="$cmdline $opt_append"
fi
if [ "$have_exec" = y ] && [ "$boot" = kernel ]; then
	exec_prefix="$cmdline tinyinit_exec="
	exec_room=$(((cmdline_max - $(byte_length "$exec_prefix")) / 2))
	exec_bytes=$(byte_length "$opt_exec")
	if [ "$exec_bytes" -gt "$exec_room" ]; then
		die "--exec: the command is too long for the kernel command line: $exec_bytes bytes, at most $exec_room here (it goes hex-encoded, 2 characters a byte, in $((cmdline_max + 1)) bytes with the other arguments)"
	fi
	cmdline=$exec_prefix$(hex_encode "$opt_exec")
fi
cmdline_bytes=$(byte_length "$cmdline")
if [ "$cmdline_bytes" -gt "$cmdline_max" ]; then
	die "the kernel command line is too long: $cmdline_bytes bytes, at most $cmdline_max"
fi

# --- QEMU command line ---------------------------------------------------------

make_tmp
qemu_log=$tmp/qemu.log

if [ "$have_ssh" = y ]; then
	append_ssh_key
	ssh_console_log=$output/ssh-console.log
fi

case $machine in
microvm) machine_arg=microvm,pit=on,pic=on ;;
*) machine_arg=$machine ;;
esac
qemu=("$qemu_bin" -accel "$accel" -M "$machine_arg" ${cpu_args[@]+"${cpu_args[@]}"} -m "$mem" -smp "$cpus")
if [ "$machine" = microvm ] && [ "$accel" = tcg ]; then
	qemu+=(-icount "shift=auto,sleep=off")
fi
if [ "$boot" = kernel ]; then
	qemu+=(${firmware_args[@]+"${firmware_args[@]}"} -kernel "$kernel")
	if [ -n "$initrd" ]; then
		qemu+=(-initrd "$initrd")
	fi
	qemu+=(-append "$cmdline")
else
	boot_firmware_args "$boot"
	qemu+=("${boot_args[@]}")
fi
qemu+=(-no-reboot -device "$pvpanic_device" -action panic=exit-failure -d guest_errors -D "$qemu_log" -nodefaults)
if [ "$have_exec" = y ] && [ "$pc" = y ]; then
	qemu+=(-device "isa-debug-exit,iobase=$debug_exit_port,iosize=1")
fi
if [ "$have_ssh" = y ]; then
	qemu+=(-display none -chardev "file,id=console,path=$(qemu_escape "$ssh_console_log")" -serial chardev:console)
else
	# Not -nographic: with it SeaBIOS (where there is no qboot) copies its
	# screen to the serial port, terminal escapes included.
	case $console in
	serial) qemu+=(-display none -serial mon:stdio) ;;
	graphical) qemu+=(-vga std -monitor vc) ;; # the monitor in the window, as without -nodefaults
	both) qemu+=(-vga std -serial mon:stdio) ;;
	esac
	if [ "$console" != serial ] && [ -n "$opt_display" ]; then
		qemu+=(-display "$opt_display")
	fi
fi
qemu+=("${net_args[@]}" ${share_args[@]+"${share_args[@]}"})
qemu+=(${extra[@]+"${extra[@]}"})

if [ "$dry_run" = y ]; then
	printf '%s\n' "${qemu[@]}"
	exit 0
fi

# --- run -----------------------------------------------------------------------

# QEMU runs in the background (its stdin is still ours: the terminal for the
# serial console) so that a SIGTERM or SIGHUP to start.sh can stop it too.
qemu_pid=
tee_pid=
# shellcheck disable=SC2317 # called by stop and by run_ssh_session (launcher/ssh.sh)
stop_qemu() {
	if [ -n "$qemu_pid" ]; then
		kill -TERM "$qemu_pid" 2>/dev/null || :
		wait "$qemu_pid" 2>/dev/null || :
		qemu_pid=
	fi
}
# shellcheck disable=SC2317 # called by the traps
stop() {
	stop_qemu
	exit "$1"
}
trap 'stop 129' HUP
trap 'stop 130' INT
trap 'stop 143' TERM

if [ "$have_ssh" = y ]; then
	run_ssh_session
fi

if [ "$have_exec" = y ]; then
	console_log=$tmp/console.log
	mkfifo "$tmp/console"
	tee "$console_log" <"$tmp/console" &
	tee_pid=$!
	"${qemu[@]}" 0<&0 >"$tmp/console" &
	qemu_pid=$!
else
	"${qemu[@]}" 0<&0 &
	qemu_pid=$!
fi
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=
if [ -n "$tee_pid" ]; then
	wait "$tee_pid" || :
fi

panicked=n
if [ "$qemu_status" -ne 0 ] && grep -q 'Guest crashed' "$qemu_log" 2>/dev/null; then
	panicked=y
fi

if [ "$have_exec" = y ]; then
	status_line=$(LC_ALL=C grep -a -o -E 'tinyroot: exit status [0-9]+( \(signal [0-9]+\))?'$'\r''?$' "$console_log" | tail -n 1) || :
	if [ -n "$status_line" ]; then
		status=${status_line#tinyroot: exit status }
		status=${status%%[!0-9]*}
		exit $((status > 255 ? 255 : status))
	fi
	if [ "$panicked" = y ]; then
		fail 255 "--exec: the kernel panicked before the command reported its exit status"
	fi
	if [ "$qemu_status" -ne 0 ]; then
		fail 255 "--exec: QEMU exited with status $qemu_status before the command reported its exit status"
	fi
	printf '%s: --exec: the VM ended (QEMU status %s) without the line "tinyroot: exit status N": --exec needs the C init (System → Init (PID 1): C init (tinyinit))\n' \
		"$me" "$qemu_status" >&2
	exit 255
fi

if [ "$panicked" = y ]; then
	die "the kernel panicked (QEMU exit status $qemu_status)"
fi
if [ "$qemu_status" -ne 0 ]; then
	fail "$qemu_status" "QEMU exited with status $qemu_status"
fi
exit 0
