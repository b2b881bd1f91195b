# shellcheck shell=bash disable=SC2154 # its variables are start.sh's
# Sourced by board/qemu/start.sh: the forwards of --forward, --guestfwd and
# QEMU_FORWARDS, their syntax and their host ports.

is_port() {
	is_count "$1" && [ "${#1}" -le 5 ] && [ "$1" -le 65535 ]
}

# PORT:PORT into first_port and second_port; fails unless both are 1-65535.
split_ports() {
	first_port=${1%%:*}
	second_port=${1#*:}
	[ "$first_port" != "$1" ] && is_port "$first_port" && is_port "$second_port"
}

# [tcp:|udp:]HOSTPORT:GUESTPORT into forward_proto, first_port, second_port.
parse_forward() {
	forward_proto=tcp
	local ports=$1
	case $1 in
	tcp:* | udp:*)
		forward_proto=${1%%:*}
		ports=${1#*:}
		;;
	esac
	split_ports "$ports"
}
forward_syntax="[tcp:|udp:]HOSTPORT:GUESTPORT with ports 1-65535"

# Why QEMU could not listen on 127.0.0.1:PORT ($2) for PROTO ($1) now; nothing
# when it could. The probe does what QEMU will do, bind with SO_REUSEADDR, so
# it sees a TCP listener or a bound UDP socket on that port (of any user, on
# any address: 0.0.0.0 and [::] too) and a port below 1024 without the
# privilege. A connect probe (bash's /dev/tcp) would see only TCP listeners,
# and ss is not always installed; perl is (Debian's perl-base is Essential).
host_port_problem() {
	perl -MSocket -e '
		my ($proto, $port) = @ARGV;
		socket(my $s, PF_INET, $proto eq "udp" ? SOCK_DGRAM : SOCK_STREAM, 0) or die "socket: $!\n";
		setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);
		bind($s, pack_sockaddr_in($port, INADDR_LOOPBACK)) or print "$!\n";
	' "$1" "$2"
}

# Whether a TCP server listens on 127.0.0.1:PORT (a connection, closed at once).
host_port_listens() {
	(: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Every port forwarded so far (tcp:H, udp:H for the host's, guest:G for
# 10.0.2.100's): QEMU would refuse a second rule for one.
forwarded=" "
not_forwarded_yet() { # key
	case $forwarded in
	*" $1 "*) return 1 ;;
	esac
	forwarded="$forwarded$1 "
}

# Host-to-guest rules, added to $netdev; origin names them in messages.
add_forwards() { # origin spec...
	local origin=$1 spec problem
	shift
	for spec; do
		# (the options' syntax was checked with the other options)
		parse_forward "$spec" ||
			die "$images/qemu.conf: QEMU_FORWARDS: expected $forward_syntax, not '$spec': correct QEMU launcher → Port forwards in '$make_cmd menuconfig' and rebuild"
		not_forwarded_yet "$forward_proto:$first_port" ||
			usage_error "$origin $spec: $forward_proto port $first_port of the host is already forwarded: drop one of the two"
		problem=$(host_port_problem "$forward_proto" "$first_port")
		if [ -n "$problem" ]; then
			die "$origin $spec: cannot listen on 127.0.0.1:$first_port ($forward_proto): $problem: choose another host port"
		fi
		netdev=$netdev,hostfwd=$forward_proto:127.0.0.1:$first_port-:$second_port
	done
}
