"""tinyinit's exec mode: tinyinit_exec=<hex of a command> runs <shell> -c
<command> on the console, prints "tinyroot: exit status N" and powers off."""
import shutil
import signal
import subprocess

import pytest

from .tinyinit_lib import (BUILDS, NO_NAMESPACES, NO_NAMESPACES_REASON, POWEROFF_RC, PROMPT, Boot,
                           Variant, build_tinyinit)


@pytest.mark.parametrize("status", [0, 1, 3])
def test_exit_status(boot, status):
    boot.start(exec_cmd=f"echo before-exit; exit {status}")
    assert boot.wait_exit() == POWEROFF_RC
    # Exactly the command's output and the one status line.
    assert boot.text == f"before-exit\ntinyroot: exit status {status}\n"


def test_killed_by_a_signal(boot):
    boot.start(exec_cmd="kill -9 $$")
    assert boot.wait_exit() == POWEROFF_RC
    assert boot.text == "tinyroot: exit status 137 (signal 9)\n"


# Quotes of both kinds, runs of spaces, a tab, $, backslashes, a newline inside
# quotes and between commands, UTF-8, and a glob.
AWKWARD = """printf '[%s]\\n' "two  spaces" 'single '"'"'quote' "double \\"quote\\"" '$HOME \\\\ \\t'
x='a	tab'; printf '[%s]\\n' "$x" "${tinyinit_exec-unset}" "line one
line two" "é ü" '*'
printf 'last\\n'"""


def test_command_runs_verbatim(boot, tmp_path):
    boot.start(exec_cmd=AWKWARD)
    assert boot.wait_exit() == POWEROFF_RC
    # The same command, given to the same shell directly.
    expected = subprocess.run(["/bin/dash", "-c", AWKWARD], env={"HOME": "/"}, text=True,
                              stdout=subprocess.PIPE, timeout=10, check=True).stdout
    assert "[unset]" in expected and "[line one\nline two]" in expected
    assert boot.text == expected + "tinyroot: exit status 0\n"


def test_command_has_the_console_as_controlling_terminal(boot):
    boot.start(exec_cmd='tty; read s < /proc/$$/stat; echo "$s" | cut -d" " -f6,8; '
                        ': < /dev/tty && echo has-ctty')
    assert boot.wait_exit() == POWEROFF_RC
    lines = boot.text.splitlines()
    assert lines[0] == boot.tty
    session, tpgid = lines[1].split()
    assert session == tpgid   # the command's shell: session leader, in the foreground
    assert lines[2:] == ["has-ctty", "tinyroot: exit status 0"]


def test_rcs_runs_first(boot):
    boot.script("etc/init.d/rcS", "sleep 0.3; echo rcS-ran")
    boot.start(exec_cmd="echo command-ran")
    assert boot.wait_exit() == POWEROFF_RC
    assert boot.text == "rcS-ran\ncommand-ran\ntinyroot: exit status 0\n"


def test_command_gets_default_signal_handling(boot):
    """Whatever init inherited or blocked, its children start with an empty
    signal mask and default dispositions. The "shell" here is perl, which,
    unlike sh, leaves both as it finds them."""
    (boot.root / "bin" / "sigs").write_text(
        "#!/usr/bin/perl\n"
        'open(my $f, "<", "/proc/self/status") or die; print grep { /^Sig(Blk|Ign)/ } <$f>;\n')
    (boot.root / "bin" / "sigs").chmod(0o755)
    # init starts with SIGHUP and SIGQUIT ignored.
    boot.start(exec_cmd="unused", setup="trap '' HUP QUIT", tinyinit_shell="/bin/sigs")
    assert boot.wait_exit() == POWEROFF_RC
    words = boot.text.split()
    assert words[0::2][:2] == ["SigBlk:", "SigIgn:"] and words[4:] == ["tinyroot:", "exit",
                                                                       "status", "0"]
    assert int(words[1], 16) == 0
    # (perl ignores SIGFPE itself)
    assert int(words[3], 16) & (1 << signal.SIGHUP - 1 | 1 << signal.SIGQUIT - 1) == 0


def test_inherited_ignored_sigchld_is_reset(boot):
    """Started with SIGCHLD ignored (as a container runtime may leave it), the
    kernel would reap the command unseen and init would wait forever."""
    boot.start(exec_cmd="echo ran; exit 4",
               wrapper=["perl", "-e", '$SIG{CHLD} = "IGNORE"; exec @ARGV or die'])
    assert boot.wait_exit() == POWEROFF_RC
    assert boot.text == "ran\ntinyroot: exit status 4\n"


@pytest.mark.parametrize("value, problem", [("6563686", "odd number of hex digits"),
                                            ("zz", "not a hex digit"),
                                            ("4100", "a NUL byte cannot be part of a command")])
def test_bad_hex_is_rejected(boot, value, problem):
    boot.start(tinyinit_exec=value)
    assert boot.wait_exit() == POWEROFF_RC
    assert boot.text == f"tinyinit: tinyinit_exec: {problem}; the command is not run\n"


def test_empty_means_interactive(boot):
    boot.start(tinyinit_exec="")
    boot.expect_prompt()
    assert PROMPT in boot.text


def test_missing_shell(boot):
    boot.start(exec_cmd="true", tinyinit_shell="/bin/nosuch")
    assert boot.wait_exit() == POWEROFF_RC
    assert boot.text == (f"tinyinit: exec {boot.root}/bin/nosuch: No such file or directory\n"
                         "tinyroot: exit status 127\n")


FW_CFG_FILE = "sys/firmware/qemu_fw_cfg/by_name/opt/tinyroot/tinyinit/raw"


def fw_cfg_setup(boot, text):
    """The shell commands that give the init a /sys (a tmpfs: the init then
    mounts no sysfs there) with QEMU's fw_cfg file of boot parameters, as
    the kernel shows it with CONFIG_FW_CFG_SYSFS."""
    (boot.tmp / "fw_cfg").write_bytes(text.encode())
    raw = boot.root / FW_CFG_FILE
    return "\n".join([f"mkdir -p '{boot.root}/sys'", f"mount -t tmpfs fw_cfg '{boot.root}/sys'",
                      f"mkdir -p '{raw.parent}'", f"cp '{boot.tmp}/fw_cfg' '{raw}'"])


def test_parameters_from_fw_cfg(boot):
    """start.sh --exec on the firmware paths: the command comes through fw_cfg
    (a NUL, newlines, runs of spaces between the words); longer than the
    init's first read of the file, and the environment keeps none of it."""
    command = "echo " + "x" * 5000 + " >/dev/null; env | grep -c tinyinit_; exit 4"
    text = f"  tinyinit_respawn=0\n\ntinyinit_exec={command.encode().hex()}  \0"
    boot.start(setup=fw_cfg_setup(boot, text))
    assert boot.wait_exit() == POWEROFF_RC
    assert boot.text == "0\ntinyroot: exit status 4\n"


def test_command_line_wins_over_fw_cfg_and_other_words_are_named(boot):
    text = f"init=/bin/sh tinyinit_exec={'echo from-fw-cfg'.encode().hex()}"
    boot.start(exec_cmd="echo from-the-command-line", setup=fw_cfg_setup(boot, text))
    assert boot.wait_exit() == POWEROFF_RC
    assert boot.text == (f"tinyinit: ignoring init=/bin/sh in {boot.root}/{FW_CFG_FILE}: expected tinyinit_NAME=VALUE\n"
                         "from-the-command-line\ntinyroot: exit status 0\n")


def test_musl_build(tmp_path):
    """The musl static build, once: exec mode end to end."""
    if NO_NAMESPACES:
        pytest.skip(NO_NAMESPACES_REASON)
    if shutil.which("musl-gcc") is None:
        pytest.skip("musl-gcc is not installed")
    binary, _ = build_tinyinit(tmp_path / "build", **BUILDS["musl"])
    b = Boot(tmp_path, Variant("musl", binary))
    try:
        b.start(exec_cmd="hostname; exit 3")
        assert b.wait_exit() == POWEROFF_RC
        assert b.text == "tinytest\ntinyroot: exit status 3\n"
    finally:
        b.close()
