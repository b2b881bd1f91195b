"""tinyinit as PID 1 of new namespaces: mounts, hostname, rcS, the console
shell with job control, reaping, and errors it must survive."""
import os
import re
import signal
import subprocess
import time

import pytest

from .tinyinit_lib import (NO_NAMESPACES, NO_NAMESPACES_REASON, POWEROFF_RC, Boot, Variant,
                          build_package_style, children, needs_namespaces, proc_status)

MOUNTS = {("/proc", "proc"), ("/sys", "sysfs"), ("/dev", "devtmpfs"), ("/dev/pts", "devpts"),
          ("/dev/shm", "tmpfs"), ("/tmp", "tmpfs"), ("/run", "tmpfs")}


def test_boots_to_a_console_shell_with_job_control(boot):
    boot.script("etc/init.d/rcS", f'env > {boot.log}/rcS.env; echo rcS-done')
    boot.start()
    boot.expect("rcS-done")
    boot.expect_prompt()
    init = boot.init_pid()
    assert set(boot.mounts_under_root(init)) == MOUNTS
    assert boot.run("tty").strip() == boot.tty
    assert re.search(r"monitor\s+on", boot.run("set -o"))
    assert boot.run("hostname").strip() == "tinytest"
    # The shell leads its session, and its process group owns the terminal
    # (read with a builtin, so that the shell is in the foreground).
    stat = boot.run('read s < /proc/$$/stat; echo "$s"').split(") ")[1].split()
    pid, pgrp, session, tpgid = int(boot.run("echo $$")), int(stat[2]), int(stat[3]), int(stat[5])
    assert pid == pgrp == session == tpgid
    # init's parameters are not passed on; PATH is set for rcS.
    assert boot.run('echo "[${tinyinit_loglevel-unset}]"').strip() == "[unset]"
    rcs_env = dict(line.split("=", 1) for line in (boot.log / "rcS.env").read_text().splitlines()
                   if "=" in line)
    assert rcs_env["PATH"] == "/sbin:/usr/sbin:/bin:/usr/bin"
    assert not [k for k in rcs_env if k.startswith("tinyinit_")]
    assert "job control" not in boot.text and "tinyinit:" not in boot.text


def test_ctrl_c_interrupts_the_foreground_command(boot):
    boot.start()
    boot.expect_prompt()
    boot.console.sendline("sleep 100")
    boot.expect("sleep 100")
    time.sleep(0.3)
    boot.console.send("\x03")
    start = time.monotonic()
    boot.expect_prompt(timeout=5)
    assert time.monotonic() - start < 3
    assert boot.run("echo status=$?").strip() == "status=130"


def test_orphans_are_reaped(boot):
    # Each (... &) subshell exits at once: its child is re-parented to init.
    # Three seconds each: 400 forks take more than one on a busy machine.
    boot.script("bin/orphans", """i=0
while [ $i -lt 200 ]; do
    (sleep 3 &)
    (true &)
    i=$((i + 1))
done
echo orphans-spawned""")
    boot.start()
    boot.expect_prompt()
    init = boot.init_pid()
    boot.console.sendline(f"{boot.root}/bin/orphans")
    boot.expect("orphans-spawned", timeout=20)
    boot.expect_prompt()
    adopted = [p for p in boot.ns_processes(init) if p["ppid"] == init and p["name"] == "sleep"]
    assert len(adopted) >= 50, "the orphans were not re-parented to init"
    deadline = time.monotonic() + 10
    while True:
        left = [p for p in boot.ns_processes(init) if p["name"] != "dash"]
        if not left or time.monotonic() > deadline:
            break
        boot.drain()
    assert left == [], f"left in the namespace (Z: zombie): {left}"
    # init's children (zombies included, until reaped): the shell alone.
    assert [proc_status(p)["name"] for p in children(init)] == ["dash"]
    boot.still_running(0.1)


def prepared_root_setup(boot, first_console="/dev/null"):
    """Shell commands (run as PID 1 before the init) that pre-mount /proc,
    /sys and /dev with what the test wants the init to find there: two
    consoles, the pty made as the console the primary one, first_console
    the other."""
    for d in ("proc", "sys", "dev"):
        (boot.root / d).mkdir()
    r = boot.root
    return f"""
mount -t tmpfs fakeproc {r}/proc
mkdir -p {r}/proc/sys/kernel
echo untouched > {r}/proc/sys/kernel/printk
mount -t tmpfs fakesys {r}/sys
mkdir -p {r}/sys/class/tty/console
echo 'ttyFIRST ttyT0' > {r}/sys/class/tty/console/active
mount -t tmpfs fakedev {r}/dev
ln -s {first_console} {r}/dev/ttyFIRST
ln -s {boot.tty} {r}/dev/ttyT0
"""


@pytest.mark.parametrize("loglevel, printk", [
    (None, "2 4 1 7"), ("3,4,1,7", "3 4 1 7"), ("5", "5"), ("", "untouched"),
    ("2;4", "2 4 1 7")])
def test_console_loglevel_and_premounted_filesystems(boot, loglevel, printk):
    """No TINYINIT_CONSOLE: the init finds the console as cttyhack does (the
    last entry of /sys/class/tty/console/active), and starts a shell on the
    other one too; /proc, /sys and /dev are already mounted, so it leaves
    them, and only sets up the rest."""
    boot.env["tinyinit_loglevel"] = loglevel
    first = boot.other_console()
    boot.start(setup=prepared_root_setup(boot, first.tty), console_env=False)
    boot.expect_prompt()
    first.expect_prompt()
    assert first.run("echo first-$((6*7))") == "first-42"
    assert re.search(r"monitor\s+on", boot.run("set -o"))
    assert boot.run(f"cat {boot.root}/proc/sys/kernel/printk").strip() == printk
    init = boot.init_pid()
    assert set(boot.mounts_under_root(init)) == {
        ("/proc", "tmpfs"), ("/sys", "tmpfs"), ("/dev", "tmpfs"), ("/dev/pts", "devpts"),
        ("/dev/shm", "tmpfs"), ("/tmp", "tmpfs"), ("/run", "tmpfs")}
    if loglevel == "2;4":
        assert "tinyinit: ignoring tinyinit_loglevel=2;4: expected e.g. 2,4,1,7 or 3" in boot.text
    else:
        assert "tinyinit:" not in boot.text
    assert "job control" not in boot.text


def test_package_build_defaults(tmp_path):
    """A build as the package layer makes it: its defines (shell, respawn,
    log level "3,4,1,7") are the defaults."""
    if NO_NAMESPACES:
        pytest.skip(NO_NAMESPACES_REASON)
    build_package_style(tmp_path / "build")
    b = Boot(tmp_path, Variant("package", tmp_path / "build" / "src" / "tinyinit"))
    try:
        b.env.pop("tinyinit_loglevel")
        b.start(setup=prepared_root_setup(b))
        b.expect(f"tinyinit: exec {b.root}/bin/tinyroot-test-shell: No such file or directory")
        b.expect(f"tinyinit: {b.root}/bin/tinyroot-test-shell respawning too fast: waiting 5 s")
        b.still_running(0.3)
        printk = subprocess.run(
            ["nsenter", f"--target={b.init_pid()}", "--mount", "cat",
             f"{b.root}/proc/sys/kernel/printk"], text=True, stdout=subprocess.PIPE, timeout=10)
        assert printk.stdout.strip() == "3 4 1 7"
    finally:
        b.close()


def test_unmountable_filesystem_is_reported(boot):
    (boot.root / "sys").write_text("a regular file, not a directory\n")
    boot.start()
    boot.expect_prompt()
    assert f"tinyinit: mount sysfs {boot.root}/sys: Not a directory" in boot.text
    assert boot.run("echo alive").strip() == "alive"
    assert set(boot.mounts_under_root(boot.init_pid())) == MOUNTS - {("/sys", "sysfs")}
    boot.still_running(0.2)


def test_rcs_not_executable(boot):
    boot.script("etc/init.d/rcS", "echo rcS-ran", mode=0o644)
    boot.start()
    boot.expect_prompt()
    assert f"tinyinit: not running {boot.root}/etc/init.d/rcS: Permission denied" in boot.text
    assert "rcS-ran" not in boot.text
    boot.still_running(0.2)


def test_rcs_failure_is_reported(boot):
    boot.script("etc/init.d/rcS", "echo rcS-ran; exit 3")
    boot.start()
    boot.expect("rcS-ran")
    boot.expect(f"tinyinit: {boot.root}/etc/init.d/rcS exited with status 3")
    boot.expect_prompt()


def test_missing_shell_powers_off(boot):
    boot.start(tinyinit_shell="/bin/nosuch")
    assert boot.wait_exit() == POWEROFF_RC
    assert f"tinyinit: exec {boot.root}/bin/nosuch: No such file or directory" in boot.text


def test_missing_shell_with_respawn_waits(boot):
    boot.start(tinyinit_shell="/bin/nosuch", tinyinit_respawn="1")
    boot.expect(f"tinyinit: {boot.root}/bin/nosuch respawning too fast: waiting 5 s")
    assert boot.text.count(f"tinyinit: exec {boot.root}/bin/nosuch: No such file") == 5
    boot.still_running(1)
    assert boot.text.count(f"tinyinit: exec {boot.root}/bin/nosuch: No such file") == 5
    os.kill(boot.init_pid(), signal.SIGUSR2)
    assert boot.wait_exit() == POWEROFF_RC


@needs_namespaces
def test_refuses_to_run_as_another_process(tmp_path, tinyinit):
    """Not PID 1 (here PID 2 of a namespace, to be safe): nothing done, status 1."""
    result = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount", "--mount-proc", "--kill-child",
         "/bin/sh", "-c", '"$0"; echo "status=$?"', str(tinyinit.binary)],
        env={"TINYINIT_ROOT": str(tmp_path)}, text=True, timeout=20,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert "tinyinit: must run as process 1\n" in result.stdout
    assert "status=1" in result.stdout
    assert list(tmp_path.iterdir()) == []

