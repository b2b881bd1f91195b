"""start.sh --ssh without booting: what it refuses, in one line, and the
port it forwards. The login itself is tested on a real image in
test_dropbear.py."""
import socket
import subprocess

import pytest

from test_launcher import dry_run, error_line, netdev, run, write_images, base_env


@pytest.fixture
def home(tmp_path):
    """A home with an ed25519 key pair in ~/.ssh."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(home / ".ssh/id_ed25519")],
                   check=True)
    return home


@pytest.fixture
def ssh_image(tmp_path):
    return write_images(tmp_path / "out", QEMU_SSH="y", QEMU_SSH_HOST_KEYS="first-boot")


def ssh_error(out, home, *args):
    return run("--output", out, "--dry-run", "--accel", "tcg", *args, env=base_env(HOME=str(home)))


def test_ssh_forwards_a_free_loopback_port_to_22(ssh_image, home):
    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            busy.bind(("127.0.0.1", 10022))
            busy.listen()
        except OSError:
            pass  # something else holds it: busy all the same
        argv = dry_run(ssh_image, "--ssh", env=base_env(HOME=str(home)))
    forwards = [rule for rule in netdev(argv) if rule.startswith("hostfwd=")]
    assert len(forwards) == 1
    port = int(forwards[0].split(":")[2].split("-")[0])
    assert forwards[0] == f"hostfwd=tcp:127.0.0.1:{port}-:22" and 10022 < port <= 10999
    # Headless: the console goes to a file beside the images.
    assert "-nographic" not in argv and argv[argv.index("-display") + 1] == "none"
    assert f"path={ssh_image}/ssh-console.log" in argv[argv.index("-chardev") + 1]


def test_ssh_without_the_server_in_the_image(tmp_path, home):
    out = write_images(tmp_path / "out")
    line = error_line(ssh_error(out, home, "--ssh"))
    assert "the image has no SSH server" in line and "TR_PACKAGE_DROPBEAR" in line


@pytest.mark.parametrize("args, status, words", [
    (["--ssh", "--net", "none"], 2, "--ssh needs a network"),
    (["--ssh", "--exec", "true"], 2, "choose one"),
    (["--ssh", "--graphical"], 2, "headless"),
    (["--ssh-command", ""], 2, "the command is empty"),
    (["--ssh", "--ssh-key", "/nonexistent/key"], 1, "cannot read the private key /nonexistent/key"),
])
def test_ssh_bad_input(ssh_image, home, args, status, words):
    result = ssh_error(ssh_image, home, *args)
    assert result.returncode == status
    assert words in error_line(result)


def test_ssh_key_without_its_public_half(ssh_image, home):
    key = home / ".ssh/id_ed25519"
    (home / ".ssh/id_ed25519.pub").unlink()
    line = error_line(ssh_error(ssh_image, home, "--ssh", "--ssh-key", key))
    assert f"no public key {key}.pub" in line and "ssh-keygen -y" in line


def test_ssh_without_any_key(ssh_image, tmp_path):
    empty_home = tmp_path / "empty-home"
    empty_home.mkdir()
    line = error_line(ssh_error(ssh_image, empty_home, "--ssh"))
    assert "no SSH key in ~/.ssh" in line and "ssh-keygen -t ed25519" in line


def test_ssh_with_a_kernel_without_networking(tmp_path, home):
    out = write_images(tmp_path / "out", QEMU_SSH="y", QEMU_NET_CAPABLE="n")
    line = error_line(ssh_error(out, home, "--ssh"))
    assert "no network driver" in line and "TR_PACKAGE_LINUX_NETWORK" in line
