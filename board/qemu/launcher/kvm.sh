# shellcheck shell=bash disable=SC2154 # its variables are start.sh's
# Sourced by board/qemu/start.sh: whether KVM works here (--accel auto).

# KVM probe. /dev/kvm can exist while KVM does not work (here: the guest
# hangs in SeaBIOS, or QEMU aborts with some CPU models), so its presence
# proves nothing, and neither does the guest leaving the reset vector (it
# does, then hangs in SeaBIOS's hardware setup). The probe boots QEMU with
# KVM on a 512-byte boot sector: SeaBIOS must finish its whole POST
# (timers, interrupts, disk probing) and hand over to the sector, whose code
# (mov al,0x2a; out 0xf4,al; hlt) writes to an isa-debug-exit port, which
# ends QEMU with status (0x2a << 1) | 1 = 85. Any other status, or no exit
# within the timeout, means KVM does not work. Under TCG the same probe exits
# in about 0.1 s, and with a working KVM it is faster still, so the 1 s
# timeout is generous; on this broken-KVM host the probe costs that 1 s.
probe_timeout=1
kvm_problem=
kvm_works() {
	if [ ! -e /dev/kvm ]; then
		kvm_problem="no /dev/kvm"
		return 1
	fi
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		kvm_problem="no access to /dev/kvm"
		return 1
	fi
	make_tmp
	{
		printf '\260\052\346\364\364\353\375'
		dd if=/dev/zero bs=503 count=1 2>/dev/null
		printf '\125\252'
	} >"$tmp/kvm-probe.img"
	local status=0
	timeout -k 1 "$probe_timeout" "$qemu_bin" -accel kvm -M pc -m 16 -nodefaults \
		-display none -no-reboot \
		-drive "file=$(qemu_escape "$tmp/kvm-probe.img"),format=raw,if=ide" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		</dev/null >/dev/null 2>&1 || status=$?
	rm -f -- "$tmp/kvm-probe.img"
	case $status in
	85) return 0 ;;
	124 | 137) kvm_problem="a KVM guest did not get through the firmware in ${probe_timeout} s" ;;
	*) kvm_problem="QEMU with KVM failed (status $status)" ;;
	esac
	return 1
}

# The probe's verdict holds until the host reboots, /dev/kvm is replaced or
# re-permissioned, the user's groups change or QEMU is updated: kept per
# user in ~/.cache (root and CI have no XDG_RUNTIME_DIR), under that key,
# only the first run on a host pays for the probe.
kvm_cache=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/tinyroot/kvm-probe
kvm_cache_key() {
	local qemu_path
	qemu_path=$(command -v "$qemu_bin")
	printf '%s|%s|%s|%s\n' "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" \
		"$(stat -c '%i %z' /dev/kvm 2>/dev/null)" "$(id -G)" \
		"$qemu_path $(stat -L -c '%i %y' "$qemu_path")"
}
kvm_works_cached() {
	local key verdict
	key=$(kvm_cache_key)
	if [ -f "$kvm_cache" ] && [ "$(head -n 1 "$kvm_cache")" = "$key" ]; then
		verdict=$(sed -n 2p "$kvm_cache")
		kvm_problem=$(sed -n 3p "$kvm_cache")
		[ "$verdict" = works ]
		return
	fi
	verdict=fails
	if kvm_works; then
		verdict=works
	fi
	# A cache that cannot be written only costs the next run the probe.
	if mkdir -p -- "${kvm_cache%/*}" 2>/dev/null &&
		printf '%s\n%s\n%s\n' "$key" "$verdict" "$kvm_problem" >"$kvm_cache.$$" 2>/dev/null; then
		mv -f -- "$kvm_cache.$$" "$kvm_cache"
	else
		rm -f -- "$kvm_cache.$$"
	fi
	[ "$verdict" = works ]
}
