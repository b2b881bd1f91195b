"""tinyinit on more than one console (console=tty0 console=ttyS0): a shell
on each, the other consoles' respawned, and hung up at shutdown. The tests'
builds take the other console's device from TINYINIT_OTHER_CONSOLE;
test_tinyinit_boot.py gives one through /sys/class/tty/console/active, as
the kernel does (and test_disk_root.py reads a VM's screen)."""
import time

from .tinyinit_lib import GRACE, POWEROFF_RC


def test_other_console_has_a_shell_of_its_own_respawned_and_hung_up(boot):
    other = boot.other_console()
    boot.start(TINYINIT_OTHER_CONSOLE=other.tty)
    boot.expect_prompt()
    other.expect_prompt()
    # Each shell has its console as controlling terminal.
    assert boot.run("tty").strip() == boot.tty
    assert other.run("tty") == other.tty
    first = other.run("echo $$")
    # Its exit does not end the system: another shell takes its place.
    other.console.sendline("exit")
    other.expect_prompt()
    assert other.run("echo $$") != first
    boot.still_running(0.2)
    # The primary shell's exit powers off, the other shell hung up at once,
    # not killed after the grace period.
    start = time.monotonic()
    boot.console.sendline("exit")
    assert boot.wait_exit() == POWEROFF_RC
    assert time.monotonic() - start < GRACE * 0.6
    assert "tinyinit:" not in boot.text


def test_a_console_that_is_no_terminal_gets_no_shell(boot):
    """Else its shell would run on init's own stdio, the primary console,
    beside the primary shell."""
    boot.start(TINYINIT_OTHER_CONSOLE="/dev/null")
    boot.expect("tinyinit: /dev/null is not a terminal: no shell on it")
    boot.expect_prompt()
    boot.still_running(0.5)
    assert boot.text.count("tinyinit:") == 1
