"""Helpers for tinyinit's tests: builds of the init, and boots of it as PID 1
of a fresh PID, mount, UTS and network namespace (unshare), with a scratch root
(TINYINIT_ROOT) and a pty the test made as its console (TINYINIT_CONSOLE).

Everything the init mounts lives in the namespace's private mount table and
goes with it; `unshare --kill-child` takes the namespace down if unshare dies.
A sanitizer report (in a file, or on the console) fails the test.
"""
import io
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pexpect
import pexpect.fdpexpect
import pytest

TOPDIR = Path(__file__).resolve().parents[3]
SRC = TOPDIR / "package" / "tinyinit" / "src"
HERE = Path(__file__).resolve().parent

# The tests' grace period (SIGTERM -> SIGKILL), built in with -DTINYINIT_GRACE_MS.
GRACE = 1.5
PROMPT = "TT> "
# How the namespace ends after reboot(2): its init is killed as if by SIGINT
# (power off, halt) or SIGHUP (restart), and unshare re-raises that signal.
POWEROFF_RC = -signal.SIGINT
RESTART_RC = -signal.SIGHUP

NO_NAMESPACES = os.geteuid() != 0 or shutil.which("unshare") is None
NO_NAMESPACES_REASON = "needs root and util-linux unshare (PID and mount namespaces)"
needs_namespaces = pytest.mark.skipif(NO_NAMESPACES, reason=NO_NAMESPACES_REASON)

BUILDS = {
    # Production-like: static, optimized.
    "static": {"CC": "gcc", "CFLAGS": "-O2 -g", "LDFLAGS": "-static"},
    # Sanitizers need the dynamic runtime.
    "asan": {"CC": "gcc",
             "CFLAGS": "-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined",
             "LDFLAGS": "-fsanitize=address,undefined"},
    "musl": {"CC": "musl-gcc", "CFLAGS": "-O2", "LDFLAGS": "-static"},
}


def make_env():
    """The environment without a calling make's variables (make check's O=
    would reach our make through MAKEFLAGS)."""
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}


# Every test build: the hooks (TINYINIT_ROOT, TINYINIT_CONSOLE) the tests run
# the init with; the image's init is built without them.
TEST_HOOKS = "-DTINYINIT_TEST_HOOKS"


def build_tinyinit(dest, cppflags=f"-DTINYINIT_GRACE_MS={int(GRACE * 1000)}", **make_vars):
    """Copies the sources to dest/src and builds there; returns (binary, make's output)."""
    src = Path(dest) / "src"
    shutil.copytree(SRC, src)
    args = [f"{k}={v}" for k, v in make_vars.items()] + [f"CPPFLAGS={TEST_HOOKS} {cppflags}"]
    result = subprocess.run(["make", "-C", str(src)] + args, env=make_env(), text=True, timeout=120,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert result.returncode == 0, f"make {' '.join(args)} failed:\n{result.stdout}"
    return src / "tinyinit", result.stdout


PACKAGE_CONFIG = ('#define TINYINIT_LOGLEVEL "3,4,1,7"\n'
                  '#define TINYINIT_SHELL "/bin/tinyroot-test-shell"\n'
                  "#define TINYINIT_RESPAWN 1\n"
                  "#define TINYINIT_GRACE_MS 1500\n")


def build_package_style(dest, cflags="-O2", cppflags=""):
    """Builds as package/tinyinit/tinyinit.mk does (plus the test hooks): the
    menu's choices in tinyroot-config.h, forced in with -include; returns
    make's output (the binary is dest/src/tinyinit)."""
    src = Path(dest) / "src"
    shutil.copytree(SRC, src)
    (src / "tinyroot-config.h").write_text(PACKAGE_CONFIG)
    make = ["make", "-C", str(src), "CC=gcc", f"CFLAGS={cflags}",
            f"CPPFLAGS={TEST_HOOKS} {cppflags} -include tinyroot-config.h", "LDFLAGS=-static"]
    return subprocess.run(make, env=make_env(), check=True, text=True, timeout=120,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout


class Variant:
    def __init__(self, name, binary):
        self.name = name
        self.binary = binary

    @property
    def sanitized(self):
        return self.name == "asan"


def host_loglevel():
    """The host's printk setting, as "a,b,c,d": printk is not namespaced, so the
    tests pass it back unchanged (and exercise the comma form)."""
    return ",".join(Path("/proc/sys/kernel/printk").read_text().split())


def children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def proc_status(pid):
    """Name, State letter and PPid of a host pid, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
    return {"pid": pid, "name": fields["Name"].strip(), "state": fields["State"].split()[0],
            "ppid": int(fields["PPid"])}


def output_before_prompt(console):
    """What a command typed on console printed: the text before the prompt
    just matched, without the command line's echo."""
    out = console.before.replace("\r\n", "\n")
    return out.split("\n", 1)[1] if "\n" in out else ""


class PtyConsole:
    """A pty for a console of the init's besides the primary one, and the
    shell on it. The slave stays open here: until the init opens it, its
    master would read an end of file."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.tty = os.ttyname(self.slave)
        self.console = pexpect.fdpexpect.fdspawn(self.master, timeout=10, encoding="utf-8",
                                                 codec_errors="replace", use_poll=True)

    def expect_prompt(self):
        self.console.expect(re.escape(PROMPT))

    def run(self, line):
        """Types a command line at the prompt; its output, up to the next prompt."""
        self.console.sendline(line)
        self.expect_prompt()
        return output_before_prompt(self.console).strip()

    def close(self):
        os.close(self.slave)
        os.close(self.master)


class Boot:
    """One run of the init as PID 1 of new namespaces, on a pty console."""

    def __init__(self, tmp_path, variant):
        self.tmp = Path(tmp_path)
        self.variant = variant
        self.root = self.tmp / "root"
        self.log = self.tmp / "log"     # outside the root: the init mounts nothing here
        self.san = self.tmp / "sanitizer"
        for d in (self.root / "bin", self.root / "etc" / "init.d", self.log, self.san):
            d.mkdir(parents=True, exist_ok=True)
        # The shell: the host's dash (job control, and "can't access tty" when
        # it has none), through a script so that it is no login shell reading
        # the host's /etc/profile.
        self.script("bin/sh", 'exec /bin/dash "$@"')
        (self.root / "etc" / "hostname").write_text("tinytest\n")
        self.env = {"HOME": "/", "TERM": "dumb", "PS1": PROMPT,
                    "TINYINIT_ROOT": str(self.root), "tinyinit_loglevel": host_loglevel()}
        if variant.sanitized:
            # ASan reports go to files; UBSan's (GCC 12) to stderr, the console
            # (sanitizer_reports looks in both).
            self.env["ASAN_OPTIONS"] = f"log_path={self.san}/asan"
            self.env["UBSAN_OPTIONS"] = "print_stacktrace=1"
        self.proc = None
        self.helpers = []
        self.output = io.StringIO()
        self.console = None
        # The console: a pty made here, no one's controlling terminal yet.
        self.master, self.slave = os.openpty()
        self.tty = os.ttyname(self.slave)
        self.other_consoles = []

    def script(self, relpath, body, mode=0o755):
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(mode)
        return path

    def start(self, exec_cmd=None, setup=None, wrapper=(), console_env=True, **env):
        """Starts unshare ... tinyinit. setup: shell commands run as PID 1 of the
        namespace before it execs the init (e.g. mounts the init must find);
        wrapper: a command prefix for the init (e.g. setpriv ...)."""
        self.env.update(env)
        if exec_cmd is not None:
            self.env["tinyinit_exec"] = exec_cmd.encode().hex()
        if console_env:
            self.env["TINYINIT_CONSOLE"] = self.tty
        self.env = {k: v for k, v in self.env.items() if v is not None}
        # --net: a network namespace of its own (a loopback, down), so that
        # nothing an init under test runs can reach a network.
        cmd = ["unshare", "--pid", "--fork", "--mount", "--uts", "--net", "--mount-proc", "--kill-child"]
        if setup:
            cmd += ["/bin/sh", "-ec", setup + '\nexec "$@"', "setup"]
        cmd += list(wrapper) + [str(self.variant.binary)]
        # A new session: the pty must become the controlling terminal of the
        # init's shell only.
        self.proc = subprocess.Popen(cmd, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                     env=self.env, start_new_session=True, cwd="/")
        os.close(self.slave)
        self.slave = None
        self.console = pexpect.fdpexpect.fdspawn(self.master, timeout=10, encoding="utf-8",
                                                 codec_errors="replace", use_poll=True)
        self.console.logfile_read = self.output
        return self

    def other_console(self):
        """Another console for the init: a pty made here, closed with the
        boot."""
        console = PtyConsole()
        self.other_consoles.append(console)
        return console

    # --- the console -------------------------------------------------------

    def expect(self, pattern, timeout=10):
        try:
            return self.console.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            raise AssertionError(f"{type(e).__name__} waiting for {pattern!r}; console:\n"
                                 f"{self.text}") from None

    def expect_prompt(self, timeout=10):
        self.expect(re.escape(PROMPT), timeout)

    def run(self, line, timeout=10):
        """Types a command line; returns its output (up to the next prompt)."""
        self.console.sendline(line)
        self.expect(re.escape(PROMPT), timeout)
        return output_before_prompt(self.console)

    def drain(self, timeout=0.1):
        try:
            self.console.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            time.sleep(timeout)

    @property
    def text(self):
        return self.output.getvalue().replace("\r\n", "\n")

    # --- the namespace -----------------------------------------------------

    def wait_exit(self, timeout=10):
        """Reads the console until unshare ends; returns its status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.drain()
            if self.proc.poll() is not None:
                self.drain(0.05)
                return self.proc.returncode
        raise AssertionError(f"the namespace did not end within {timeout} s; console:\n{self.text}")

    def still_running(self, seconds):
        """Reads the console for `seconds`; asserts the init stayed alive."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.drain()
            assert self.proc.poll() is None, \
                f"the init ended (unshare: {self.proc.returncode}); console:\n{self.text}"
        assert self.init_pid() is not None

    def init_pid(self, timeout=5):
        """The init's pid on the host: unshare's child, once it runs the init."""
        exe = os.path.realpath(self.variant.binary)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for pid in children(self.proc.pid):
                try:
                    if os.readlink(f"/proc/{pid}/exe") == exe:
                        return pid
                except OSError:
                    pass
            if self.proc.poll() is not None:
                return None
            time.sleep(0.02)
        return None

    def ns_processes(self, init_pid):
        """The namespace's processes except the init, as host pids with state."""
        ns = os.readlink(f"/proc/{init_pid}/ns/pid")
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == init_pid:
                continue
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") != ns:
                    continue
            except OSError:
                continue
            status = proc_status(int(entry))
            if status:
                found.append(status)
        return found

    def hold_mount_namespace(self, init_pid):
        """A host process in the namespace's mount table (not its PID namespace):
        it keeps the mount table alive after the namespace ends. Returns its pid."""
        holder = subprocess.Popen(["nsenter", f"--target={init_pid}", "--mount", "sleep", "60"],
                                  stdin=subprocess.DEVNULL, cwd="/")
        self.helpers.append(holder)
        deadline = time.monotonic() + 5
        mnt = os.readlink(f"/proc/{init_pid}/ns/mnt")
        while time.monotonic() < deadline:
            try:
                if os.readlink(f"/proc/{holder.pid}/ns/mnt") == mnt and \
                        os.readlink(f"/proc/{holder.pid}/exe").endswith("/sleep"):
                    return holder.pid
            except OSError:
                pass
            time.sleep(0.02)
        raise AssertionError("nsenter did not enter the namespace's mount table")

    def mounts_under_root(self, pid):
        """Mount points below the scratch root in pid's mount table."""
        points = []
        for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(str(self.root) + "/"):
                points.append((point[len(str(self.root)):], line.split(" - ")[1].split()[0]))
        return points

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            # The namespace ends with its init (unshare's child, whatever it
            # runs yet); unshare reaps it and ends too. Killing unshare first
            # would leave the init to the host's PID 1 to reap.
            for pid in children(self.proc.pid):
                os.kill(pid, signal.SIGKILL)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()   # --kill-child: the init goes with it
                self.proc.wait(timeout=10)
        for helper in self.helpers:
            if helper.poll() is None:
                helper.kill()
            helper.wait(timeout=10)
        for console in self.other_consoles:
            console.close()
        if self.console is not None:
            self.drain(0)
            self.console = None
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def sanitizer_reports(self):
        reports = [f"{p.name}:\n{p.read_text(errors='replace')}" for p in sorted(self.san.iterdir())]
        for marker in ("runtime error:", "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer"):
            if marker in self.text:
                reports.append(f"on the console:\n{self.text}")
                break
        return reports
