"""`klachten check-config` against the real Dovecot and SMTP servers."""

from __future__ import annotations

from tests.intake_mail import imap_sections


def _config(make_config, db, imap, smtp, **imap_changes):
    return make_config(
        db,
        imap=imap_sections(imap, **imap_changes),
        smtp={"host": smtp.host, "port": smtp.port, "security": "none"},
    )


def test_everything_reachable(imap, smtp_server, sqlite_url, make_config, cli):
    path = _config(make_config, sqlite_url, imap, smtp_server)
    result = cli("--config", path, "check-config")
    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("config: ok")
    assert lines[1:] == ["database: ok", "imap: ok", "smtp: ok"]


def test_imap_over_tls_with_the_test_ca(
    imap, smtp_server, sqlite_url, make_config, cli
):
    path = _config(
        make_config,
        sqlite_url,
        imap,
        smtp_server,
        security="ssl",
        port=imap.ssl_port,
        ca_file=str(imap.ca_file),
    )
    result = cli("--config", path, "check-config")
    assert result.code == 0, result.out


def test_closed_ports_and_bad_password_fail(
    imap, smtp_server, sqlite_url, make_config, cli
):
    path = _config(make_config, sqlite_url, imap, smtp_server, port=1)
    result = cli("--config", path, "check-config")
    assert result.code == 1
    assert "imap: FAILED (ConnectionRefusedError" in result.out
    assert "smtp: ok" in result.out
    path = _config(make_config, sqlite_url, imap, smtp_server, password="s3cr3t-wrong")
    result = cli("--config", path, "check-config")
    assert result.code == 1
    [line] = [ln for ln in result.out.splitlines() if ln.startswith("imap:")]
    assert line.startswith("imap: FAILED (LoginError")
    assert "s3cr3t-wrong" not in result.out + result.err
    smtp_server.stop()
    path = _config(make_config, sqlite_url, imap, smtp_server)
    result = cli("--config", path, "check-config")
    assert result.code == 1
    assert "smtp: FAILED (ConnectionRefusedError" in result.out


def test_database_without_schema_fails(tmp_path, imap, smtp_server, make_config, cli):
    (tmp_path / "empty.db").touch()  # a store file without tables
    path = _config(make_config, f"sqlite:///{tmp_path}/empty.db", imap, smtp_server)
    result = cli("--config", path, "check-config")
    assert result.code == 1
    assert "database: FAILED (SchemaOutdated" in result.out
    assert "imap: ok" in result.out


def test_missing_store_fails_and_is_not_created(
    tmp_path, imap, smtp_server, make_config, cli
):
    path = _config(make_config, f"sqlite:///{tmp_path}/none.db", imap, smtp_server)
    result = cli("--config", path, "check-config")
    assert result.code == 1
    assert "database: FAILED (UserError: no store at" in result.out
    assert "run `klachten db upgrade`" in result.out
    assert not (tmp_path / "none.db").exists()
