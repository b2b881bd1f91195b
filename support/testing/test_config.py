"""The configuration: defconfigs, savedefconfig, menuconfig, stale .config."""
import shutil
import subprocess
import time

import pytest

from conftest import TOPDIR, Build, error_lines


def test_help_names_every_target_group(tmp_path):
    out = Build(tmp_path / "out", tmp_path / "dl").make("help").stdout
    for target in ("menuconfig", "savedefconfig", "list-defconfigs", "<pkg>-rebuild",
                   "<pkg>-dirclean", "source", "clean", "distclean", "check", "O=dir", "V=1",
                   "busybox-update-config", "toybox-menuconfig", "toybox-update-config"):
        assert target in out


def test_list_defconfigs_includes_external(build, package_tree):
    out = build.make("list-defconfigs").stdout
    assert "qemu_x86_64_defconfig" in out and "qemu_x86_64_toybox_defconfig" in out
    assert "test_defconfig" in out


def test_unknown_defconfig_is_one_clear_line(build):
    before = build.config_path.read_text()
    result = build.make("nosuch_defconfig", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stdout.splitlines() if "nosuch_defconfig" in line]
    assert len(errors) == 1 and "list-defconfigs" in errors[0]
    assert build.config_path.read_text() == before


def test_defconfig_savedefconfig_round_trip(build, package_tree):
    original = package_tree.defconfig.read_text()
    assert build.config()["TR_DEFCONFIG"] == str(package_tree.defconfig)
    package_tree.defconfig.write_text("")  # savedefconfig must write it back
    build.make("savedefconfig")
    assert sorted(package_tree.defconfig.read_text().splitlines()) == sorted(original.splitlines())


def test_savedefconfig_without_origin_goes_beside_the_build(tmp_path, package_tree):
    b = Build(tmp_path / "out", tmp_path / "dl", external=package_tree.external)
    b.make("defconfig", f"TR_DEFCONFIG={package_tree.defconfig}")
    b.set_config(TR_DEFCONFIG='""')
    b.make("olddefconfig")
    b.make("savedefconfig")
    saved = tmp_path / "out" / "defconfig"
    assert "TR_PACKAGE_HELLO=y" in saved.read_text()
    assert "TR_DEFCONFIG" not in saved.read_text()
    # Loaded from there, the configuration is saved back there.
    again = Build(tmp_path / "again", tmp_path / "dl", external=package_tree.external)
    again.make("defconfig", f"TR_DEFCONFIG={saved}")
    saved.write_text("")
    again.make("savedefconfig")
    assert "TR_PACKAGE_HELLO=y" in saved.read_text()


def test_oldconfig_asks_about_new_options(build, package_tree):
    config_in = package_tree.external / "package" / "goodbye" / "Config.in"
    config_in.write_text(config_in.read_text() + '\nconfig TR_PACKAGE_GOODBYE_ASKED\n\tstring "Asked"\n'
                         '\tdefault "dflt"\n\tdepends on TR_PACKAGE_GOODBYE\n')
    build.config_path.write_text(build.config_path.read_text() + "TR_VANISHED_TOO=y\n")
    result = subprocess.run(["make", f"O={build.out}", f"TR_EXTERNAL={build.external}", "oldconfig"],
                            cwd=TOPDIR, input="answered\n", text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert result.returncode == 0, result.stdout
    assert "Asked (TR_PACKAGE_GOODBYE_ASKED) [dflt]" in result.stdout
    assert "TR_VANISHED_TOO=y dropped" in result.stdout
    assert build.config()["TR_PACKAGE_GOODBYE_ASKED"] == "answered"


def test_vanished_symbols_are_named(build):
    text = build.config_path.read_text()
    build.config_path.write_text(text + "TR_PACKAGE_VANISHED=y\nTR_OLD_OPTION=\"x\"\n")
    result = build.make("olddefconfig")
    assert "TR_PACKAGE_VANISHED=y dropped" in result.stdout
    assert "TR_OLD_OPTION" in result.stdout
    assert "TR_PACKAGE_VANISHED" not in build.config_path.read_text()


def test_symbol_appended_again_takes_the_last_value_quietly(build):
    """echo SYMBOL=value >>.config, as users do: kconfig takes the last
    line, and the one before it is no lost setting to report."""
    text = build.config_path.read_text()
    assert 'TR_TARGET_HOSTNAME="tinyroot"' in text.splitlines()
    build.config_path.write_text(text + 'TR_TARGET_HOSTNAME="appended"\n')
    result = build.make("olddefconfig")
    assert error_lines(result.stdout) == [], result.stdout
    assert build.config()["TR_TARGET_HOSTNAME"] == "appended"


def test_choice_member_appended_replaces_the_one_before_quietly(tmp_path):
    """echo TR_CONSOLE_BOTH=y >>.config over the default's serial console:
    kconfig keeps the choice's last member set, and the one before it is
    no lost setting to report."""
    b = Build(tmp_path / "out", tmp_path / "dl")
    b.make("qemu_x86_64_defconfig")
    assert b.config()["TR_CONSOLE_SERIAL"] == "y"
    b.config_path.write_text(b.config_path.read_text() + "TR_CONSOLE_BOTH=y\n")
    result = b.make("olddefconfig")
    assert error_lines(result.stdout) == [], result.stdout
    assert (b.config()["TR_CONSOLE_BOTH"], b.config()["TR_CONSOLE_SERIAL"]) == ("y", "n")


def test_defconfig_with_unknown_symbol_is_reported(build, package_tree):
    package_tree.defconfig.write_text(package_tree.defconfig.read_text() + "TR_NO_SUCH_THING=y\n")
    result = build.make("test_defconfig")
    assert "TR_NO_SUCH_THING=y dropped: no such option" in result.stdout


def test_changed_config_in_updates_config(build, package_tree):
    build.make()
    config_in = package_tree.external / "package" / "goodbye" / "Config.in"
    config_in.write_text(config_in.read_text() + '\nconfig TR_PACKAGE_GOODBYE_NEW\n\tstring "New"\n'
                         '\tdefault "fresh"\n\tdepends on TR_PACKAGE_GOODBYE\n')
    build.make()
    assert build.config()["TR_PACKAGE_GOODBYE_NEW"] == "fresh"


def test_out_of_tree_build_leaves_the_tree_clean(build):
    def status():
        return subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=TOPDIR,
                              text=True, check=True, stdout=subprocess.PIPE).stdout
    before = status()
    build.make()
    build.make("savedefconfig")
    assert status() == before


@pytest.mark.skipif(not shutil.which("tmux"), reason="tmux is not installed")
def test_menuconfig_in_tmux(build):
    session = f"tr-menuconfig-{time.monotonic_ns()}"
    command = f"make O={build.out} menuconfig; echo MENUCONFIG-EXITED; sleep 60"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    "-c", str(TOPDIR), command], check=True)

    def screen():
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], text=True,
                              check=True, stdout=subprocess.PIPE).stdout

    def wait_for(text, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in screen():
                return
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared on:\n{screen()}")

    def keys(*k):
        subprocess.run(["tmux", "send-keys", "-t", session, *k], check=True)

    try:
        wait_for("tinyroot configuration")
        keys("/")  # search for the hostname option, jump to it, edit it
        wait_for("Search Configuration Parameter")
        keys("TR_TARGET_HOSTNAME", "Enter")
        wait_for("Search Results")
        keys("1")
        wait_for("Hostname")
        keys("Enter")
        wait_for("Please enter a string value")
        keys("C-u")
        for _ in range(20):
            keys("BSpace")
        keys("menutest", "Enter")
        wait_for("(menutest) Hostname")
        for _ in range(5):  # <Esc><Esc> leaves a menu; the last asks to save
            if "Do you wish to save" in screen():
                break
            keys("Escape", "Escape")
            time.sleep(0.5)
        wait_for("Do you wish to save your new configuration")
        keys("Enter")
        wait_for("MENUCONFIG-EXITED")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])
    assert build.config()["TR_TARGET_HOSTNAME"] == "menutest"


@pytest.mark.parametrize("defconfig", sorted(p.name for p in (TOPDIR / "configs").glob("*_defconfig")))
def test_each_defconfig_loads_cleanly_and_is_minimal(tmp_path, defconfig):
    b = Build(tmp_path / "out", tmp_path / "dl")
    out = b.make(defconfig).stdout
    assert [line for line in out.splitlines() if "dropped" in line or "not kept" in line] == []
    saved = tmp_path / "saved"
    b.set_config(TR_DEFCONFIG=f'"{saved}"')
    b.make("savedefconfig")

    def settings(path):
        return [line for line in path.read_text().splitlines()
                if line and (not line.startswith("#") or line.startswith("# TR_"))]
    assert settings(saved) == settings(TOPDIR / "configs" / defconfig)
