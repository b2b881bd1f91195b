"""tinyinit's shutdown: the signals BusyBox's poweroff/halt/reboot send, the
shell's exit, respawning, and a reboot(2) that fails.

In a child PID namespace reboot(2) ends the namespace: its init dies as if by
SIGINT (power off, halt) or SIGHUP (restart), and unshare re-raises that."""
import os
import shutil
import signal
import time

import pytest

from .tinyinit_lib import GRACE, POWEROFF_RC, PROMPT, RESTART_RC


@pytest.mark.parametrize("sig, rc", [("USR2", POWEROFF_RC), ("USR1", POWEROFF_RC),
                                     ("TERM", RESTART_RC), ("INT", RESTART_RC)])
def test_shutdown_signal(boot, sig, rc):
    """SIGTERM to all, a grace period for the one that ignores it, SIGKILL."""
    log = boot.log
    boot.start()
    boot.expect_prompt()
    boot.run(f"""sh -c 'trap "echo TERM \\$(date +%s.%N) >> {log}/trap; exit 0" TERM
: > {log}/trap-ready; while :; do sleep 0.05; done' &""")
    # It works in /run, so that /run could not be unmounted if it survived.
    boot.run(f"""(cd {boot.root}/run && exec sh -c 'trap "" TERM
while :; do date +%s.%N >> {log}/beat; sleep 0.05; done') &""")
    # Both must be running, their traps set, before the signal.
    deadline = time.monotonic() + 5
    while not ((log / "beat").exists() and (log / "trap-ready").exists()):
        assert time.monotonic() < deadline, boot.text
        boot.drain()
    # As BusyBox's applets do: kill -<signal> 1, from inside the namespace.
    sent = time.time()
    boot.console.sendline(f"kill -{sig} 1")
    assert boot.wait_exit(timeout=GRACE + 8) == rc
    ended = time.time()

    trapped = (log / "trap").read_text().split()
    assert trapped[0] == "TERM" and float(trapped[1]) - sent < GRACE / 2
    beats = [float(t) for t in (log / "beat").read_text().split()]
    # It outlived SIGTERM by the grace period, then was killed.
    assert max(beats) > sent + GRACE * 0.8, f"killed too early: {max(beats) - sent:.2f} s"
    assert max(beats) < sent + GRACE + 1.5
    assert GRACE * 0.9 < ended - sent < GRACE + 3
    # Nothing was busy when unmounted.
    assert "tinyinit:" not in boot.text


def test_shell_exit_powers_off_and_unmounts_in_reverse(boot):
    boot.start()
    boot.expect_prompt()
    init = boot.init_pid()
    holder = boot.hold_mount_namespace(init)
    assert len(boot.mounts_under_root(holder)) == 7
    start = time.monotonic()
    boot.console.sendline("exit")
    assert boot.wait_exit() == POWEROFF_RC
    # Nothing was left to wait for: no grace period.
    assert time.monotonic() - start < GRACE * 0.6
    # Unmounted, nested ones first (else /dev would have been busy, and detached
    # only; mountinfo would still list it... and the pts under it).
    assert boot.mounts_under_root(holder) == []
    assert "tinyinit:" not in boot.text


def test_respawn_restarts_the_shell(boot):
    boot.start(tinyinit_respawn="1")
    boot.expect_prompt()
    first = boot.run("echo $$").strip()
    boot.console.sendline("exit")
    boot.expect_prompt()
    second = boot.run("echo $$").strip()
    assert first != second
    boot.still_running(0.2)


def test_respawn_is_rate_limited(boot):
    boot.script("bin/quick", "echo quick-shell-started")
    boot.start(tinyinit_shell="/bin/quick", tinyinit_respawn="1")
    message = f"tinyinit: {boot.root}/bin/quick respawning too fast: waiting 5 s"
    boot.expect(message)
    assert boot.text.count("quick-shell-started") == 5
    boot.still_running(3)
    assert boot.text.count("quick-shell-started") == 5
    # After the pause, it tries again.
    boot.expect("quick-shell-started", timeout=5)
    os.kill(boot.init_pid(), signal.SIGUSR2)
    assert boot.wait_exit() == POWEROFF_RC


def test_failed_reboot_keeps_init_alive(boot):
    """Without CAP_SYS_BOOT reboot(2) fails: reported, and init stays, still
    handling signals."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is not installed")
    boot.start(exec_cmd="echo ran", wrapper=["setpriv", "--inh-caps=-sys_boot",
                                             "--bounding-set=-sys_boot"])
    boot.expect("tinyroot: exit status 0")
    failure = "tinyinit: reboot RB_POWER_OFF: Operation not permitted"
    boot.expect(failure)
    boot.still_running(0.5)
    os.kill(boot.init_pid(), signal.SIGTERM)
    boot.expect("tinyinit: reboot RB_AUTOBOOT: Operation not permitted")
    boot.still_running(0.3)
    assert boot.text.count(failure) == 1
    # The one other message: RB_DISABLE_CAD failed the same way.
    assert boot.text.count("tinyinit:") == 3
    assert PROMPT not in boot.text
