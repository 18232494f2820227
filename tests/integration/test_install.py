"""`make install` puts the module, the tool and the Debian snippets where an
admin expects them, and `a2enmod consent`'s files make a working config."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    dest = tmp_path_factory.mktemp("stage")
    subprocess.run(["make", "-s", "install", f"DESTDIR={dest}"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return dest


def apxs(var):
    return subprocess.run(["apxs", "-q", var], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_module_lands_where_apxs_says_modules_live(staged):
    mod = staged / apxs("LIBEXECDIR").lstrip("/") / "mod_consent.so"
    assert mod.is_file()
    assert not mod.with_suffix(".la").exists()


def test_consent_log_tool_is_installed_and_runs(staged):
    tools = list(staged.rglob("bin/consent-log"))
    assert tools, "consent-log not installed"
    out = subprocess.run([str(tools[0]), "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "verify" in out.stdout


def test_a2enmod_files_load_the_installed_module(staged, tmp_path):
    mods = staged / "etc/apache2/mods-available"
    load = (mods / "consent.load").read_text()
    so = os.path.join(apxs("LIBEXECDIR"), "mod_consent.so")
    assert f"LoadModule consent_module {so}" in load
    assert (mods / "consent.conf").is_file()

    # What a2enmod links into mods-enabled, with the staged module path,
    # must pass a config test together with Debian's usual variables.
    staged_so = staged / so.lstrip("/")
    moddir = apxs("LIBEXECDIR")
    conf = tmp_path / "httpd.conf"
    conf.write_text(f"""
ServerRoot {tmp_path}
ServerName 127.0.0.1
Listen 127.0.0.1:1
PidFile {tmp_path}/pid
ErrorLog {tmp_path}/error.log
Define APACHE_LOG_DIR {tmp_path}
LoadModule mpm_event_module {moddir}/mod_mpm_event.so
LoadModule authz_core_module {moddir}/mod_authz_core.so
{load.replace(so, str(staged_so))}
Include {mods}/consent.conf
ConsentEngine On
""")
    out = subprocess.run(["/usr/sbin/apache2", "-t", "-f", str(conf)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert "Syntax OK" in out.stderr


def test_reference_catalogue_and_texts_are_installed(staged):
    share = list(staged.rglob("share/mod_consent"))
    assert share
    assert (share[0] / "conf/rules/default.json").is_file()
    for lang in ("nb", "nn", "en"):
        assert (share[0] / f"conf/locales/{lang}.json").is_file()
    # the VCL for a Varnish in front (ConsentSharedCache)
    assert "Consent-State" in (share[0] / "conf/varnish-consent.vcl").read_text()


def test_man_page_and_database_schemas_are_installed(staged):
    """An admin reads `man consent-log` and creates the table from the shipped schema."""
    pages = list(staged.rglob("man1/consent-log.1"))
    assert pages, "consent-log.1 not installed"
    assert ".TH" in pages[0].read_text()
    share = list(staged.rglob("share/mod_consent"))
    assert share
    for db in ("postgresql", "sqlite", "mysql"):
        schema = share[0] / "sql" / f"{db}.sql"
        assert schema.is_file(), schema
        assert "CREATE TABLE" in schema.read_text().upper()
