# shellcheck shell=bash disable=SC2154 # its variables are start.sh's
# Sourced by board/qemu/start.sh: --ssh, a login into the VM over SSH.

# The private key ssh uses (ssh_key): --ssh-key, else the user's first.
find_ssh_key() {
	ssh_key=$opt_ssh_key
	if [ -z "$ssh_key" ]; then
		for candidate in id_ed25519 id_ecdsa id_rsa; do
			if [ -f "${HOME:-/nonexistent}/.ssh/$candidate.pub" ]; then
				ssh_key=$HOME/.ssh/$candidate
				break
			fi
		done
		[ -n "$ssh_key" ] ||
			die "--ssh: no SSH key in ~/.ssh: make one with 'ssh-keygen -t ed25519', or name one with --ssh-key FILE"
	fi
	if [ ! -f "$ssh_key" ] || [ ! -r "$ssh_key" ]; then
		die "--ssh-key: cannot read the private key $ssh_key: name a key that ssh-keygen made"
	fi
	if [ ! -f "$ssh_key.pub" ] || [ ! -r "$ssh_key.pub" ]; then
		die "--ssh-key: no public key $ssh_key.pub beside $ssh_key: write it with 'ssh-keygen -y -f $ssh_key >$ssh_key.pub'"
	fi
}

# --ssh: the key as /root/.ssh/authorized_keys in a cpio of its own after the
# initramfs, at a 4-byte boundary (the kernel looks for an uncompressed
# archive only there; the zeros between are skipped); lz4-compressed after
# an lz4 initramfs (below).
append_ssh_key() {
	mkdir -p "$tmp/key/root/.ssh"
	cp -- "$ssh_key.pub" "$tmp/key/root/.ssh/authorized_keys"
	chmod 600 "$tmp/key/root/.ssh/authorized_keys"
	chmod 700 "$tmp/key/root" "$tmp/key/root/.ssh"
	(cd "$tmp/key" && find root | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp/key.cpio"
	local initrd_bytes=0 padding
	if [ -n "$initrd" ]; then
		initrd_bytes=$(stat -c %s -- "$initrd")
	fi
	padding=$(((4 - initrd_bytes % 4) % 4))
	case $initrd in
	*.lz4)
		# lz4's legacy format has no end mark: the kernel takes whatever
		# follows for more lz4 chunks of the same stream. So the key goes in
		# as lz4 too, right after it (the unpacker reads the cpio archives
		# one after the other in the stream).
		command -v lz4 >/dev/null 2>&1 ||
			die "--ssh: the initramfs is lz4, and the key must go in as lz4: install Debian's lz4"
		lz4 -l -q -c "$tmp/key.cpio" >"$tmp/key.part"
		padding=0
		;;
	*) mv -- "$tmp/key.cpio" "$tmp/key.part" ;;
	esac
	{
		if [ -n "$initrd" ]; then
			cat -- "$initrd"
		fi
		head -c "$padding" /dev/zero
		cat "$tmp/key.part"
	} >"$tmp/initrd-with-key"
	initrd=$tmp/initrd-with-key
}

# Whether the VM's SSH server greets on the forwarded port. Until it listens,
# QEMU accepts the connection and closes it at once.
ssh_server_answers() {
	local banner
	banner=$( (exec 3<>"/dev/tcp/127.0.0.1/$ssh_port" && read -r -t 2 line <&3 && printf '%s' "$line") 2>/dev/null) || :
	case $banner in
	SSH-*) return 0 ;;
	esac
	return 1
}

ssh_boot_timeout=120
run_ssh_session() {
	local ssh_args status waited=0
	"${qemu[@]}" </dev/null &
	qemu_pid=$!
	until ssh_server_answers; do
		if ! kill -0 "$qemu_pid" 2>/dev/null; then
			status=0
			wait "$qemu_pid" || status=$?
			qemu_pid=
			die "--ssh: the VM ended (QEMU status $status) before its SSH server answered; its console: $ssh_console_log"
		fi
		if [ "$waited" -ge $((ssh_boot_timeout * 5)) ]; then
			stop_qemu
			die "--ssh: the VM's SSH server did not answer within $ssh_boot_timeout s; its console: $ssh_console_log"
		fi
		sleep 0.2
		waited=$((waited + 1))
	done
	ssh_args=(-p "$ssh_port" -i "$ssh_key" -o IdentitiesOnly=yes -o User=root -o HostKeyAlias=tinyroot)
	if [ "$QEMU_SSH_HOST_KEYS" = build-time ] && [ -f "$images/known_hosts" ]; then
		ssh_args+=(-o "UserKnownHostsFile=$images/known_hosts" -o StrictHostKeyChecking=yes)
	else
		printf '%s: --ssh: the VM made its host key at boot, so ssh cannot check it (Packages → Dropbear → host keys made at build time writes images/known_hosts)\n' "$me" >&2
		ssh_args+=(-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR)
	fi
	if [ -n "$opt_ssh_command" ]; then
		ssh_args+=(-o BatchMode=yes)
	fi
	status=0
	ssh "${ssh_args[@]}" 127.0.0.1 ${opt_ssh_command:+"$opt_ssh_command"} || status=$?
	# The session is cut when the VM goes down: its own status means nothing.
	ssh "${ssh_args[@]}" -o BatchMode=yes 127.0.0.1 poweroff </dev/null >/dev/null 2>&1 || :
	waited=0
	while kill -0 "$qemu_pid" 2>/dev/null && [ "$waited" -lt 100 ]; do
		sleep 0.2
		waited=$((waited + 1))
	done
	stop "$status"
}
