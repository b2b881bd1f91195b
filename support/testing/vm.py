"""Driving a booted VM over its serial console with pexpect, and reading
its screen."""
import re
import socket
import subprocess
import time

import pexpect

QEMU = "qemu-system-x86_64"


def read_qemu_conf(images):
    """images/qemu.conf, the launcher's settings, as a dict."""
    return dict(re.findall(r"^(\w+)='?(.*?)'?$", (images / "qemu.conf").read_text(), re.M))


def direct_qemu_command(images, append="", extra=()):
    """The tutorial's own QEMU command line, under TCG: no launcher involved.
    Its network is -M pc's default NIC, the tutorial's hardware (an e1000 on
    user networking), but restricted: nothing leaves the machine."""
    conf = read_qemu_conf(images)
    cmd = [QEMU, "-accel", "tcg", "-M", "pc", "-m", "256", "-kernel", str(images / "bzImage"),
           "-nographic", "-no-reboot", "-nic", "user,model=e1000,restrict=on",
           "-append", f"console=ttyS0 {append}".strip()]
    if conf.get("QEMU_INITRD"):
        cmd[-2:-2] = ["-initrd", str(images / conf["QEMU_INITRD"])]
    return cmd + list(extra)


def monitor_commands(monitor, *commands):
    """Sends commands to QEMU's human monitor on a unix socket, and gives
    QEMU a second to carry them out."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(monitor))
        s.sendall("".join(f"{command}\n" for command in commands).encode())
        time.sleep(1)


def screen_text(monitor, png, scale=1):
    """Takes a screendump over the monitor socket and reads it with
    tesseract, enlarged scale times (the 8x16 console font on a 1280x800
    framebuffer reads better twice as large)."""
    ppm = png.with_suffix(".ppm")
    monitor_commands(monitor, f"screendump {ppm}")
    from PIL import Image
    screen = Image.open(ppm)
    screen.resize((screen.width * scale, screen.height * scale), Image.NEAREST).save(png)
    return subprocess.run(["tesseract", str(png), "-"], text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout


class VM:
    """A running VM: a shell on its console, commands run with markers."""

    def __init__(self, argv, timeout=60, env=None, cwd=None):
        self.started = time.monotonic()
        self.console = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", codec_errors="replace",
                                     timeout=timeout, env=env, cwd=cwd)
        self.console.delaybeforesend = 0.05
        self.transcript = []
        self.console.logfile_read = self

    # pexpect's logfile interface: keep everything the VM printed.
    def write(self, text):
        self.transcript.append(text)

    def flush(self):
        pass

    @property
    def output(self):
        return "".join(self.transcript)

    def wait_for_shell(self, timeout=60, prompt=None):
        """Waits until a shell answers on the console; returns seconds since
        start. prompt: a pattern to wait for first, typing nothing, where a
        bootloader reads the same line (systemd-boot's "e" opens its editor
        of the kernel's command line)."""
        deadline = time.monotonic() + timeout
        if prompt is not None:
            self.console.expect(prompt, timeout=timeout)
        while time.monotonic() < deadline:
            self.console.sendline("echo SHELL-READY-$((40+2))")
            try:
                self.console.expect("SHELL-READY-42", timeout=2)
                return time.monotonic() - self.started
            except pexpect.TIMEOUT:
                continue
        raise AssertionError(f"no shell on the console:\n{self.output[-3000:]}")

    def run(self, command, timeout=30):
        """Runs a command in the VM's shell; returns (output, exit status).
        The markers are computed by the shell, so the echo of the command
        line itself never matches them."""
        self.console.sendline(f'echo "BEGIN-$((6*7))"; {command}; echo "END-$((6*7))-$?"')
        self.console.expect("BEGIN-42", timeout=timeout)
        self.console.expect(r"END-42-(\d+)", timeout=timeout)
        output = self.console.before.replace("\r", "").strip()
        return output, int(self.console.match.group(1))

    def wait_for_dhcp(self):
        """Waits until eth0 has 10.0.2.15, the address QEMU's DHCP server
        gives, which the boot scripts ask for in the background; returns
        `ip -4 addr show eth0`."""
        out, _ = self.run("for i in $(seq 100); do ip -4 addr show eth0 | grep -q 'inet 10.0.2.15/'"
                          " && break; sleep 0.1; done; ip -4 addr show eth0", timeout=30)
        assert "inet 10.0.2.15/" in out, out
        return out

    def wait_exit(self, timeout=30):
        self.console.expect(pexpect.EOF, timeout=timeout)
        self.console.close()
        return self.console.exitstatus if self.console.exitstatus is not None \
            else -self.console.signalstatus

    def kill(self):
        if self.console.isalive():
            self.console.terminate(force=True)
