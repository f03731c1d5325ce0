"""The README's first command: klachten once, on SQLite, against a throwaway mailbox.

Seeds a private Dovecot (when installed and run as root; otherwise a Maildir) with
sample complaints, starts a local SMTP server that keeps what it receives, runs
`klachten run --once` through the real CLI, and prints the registered cases and
the acknowledgements that went out. Uses the same real servers as the tests.
"""

from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.demo_samples import samples  # noqa: E402
from service.cli import main as klachten  # noqa: E402
from tests.servers.dovecot import DovecotServer, dovecot_available  # noqa: E402
from tests.servers.smtp import SmtpServer  # noqa: E402


def _seed_maildir(folder: Path, mails: list[tuple[str, bytes]]) -> None:
    for sub in ("new", "cur", "tmp"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for index, (_, raw) in enumerate(mails):
        (folder / "new" / f"{int(time.time())}.demo{index}.localhost").write_bytes(raw)


def _config(path: Path, db: Path, smtp: SmtpServer, imap: DovecotServer | None) -> None:
    if imap is not None:
        source = (
            f'[imap]\nhost = "{imap.host}"\nport = {imap.port}\nsecurity = "none"\n'
            f'username = "{imap.username}"\npassword = "{imap.password}"\n'
            "idle = false\n"
        )
    else:
        source = f'[source]\nkind = "maildir"\npath = "{path.parent / "Maildir"}"\n'
    path.write_text(
        f"{source}\n"
        f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\n\n'
        f'[store]\nurl = "sqlite:///{db}"\n\n'
        '[cases]\ntimezone = "Europe/Brussels"\n\n'
        '[reminders]\ncoordinators = ["klachtencoordinator@libmutov.be"]\n\n'
        '[service]\nlog_level = "WARNING"\n',
        encoding="utf-8",
    )


def _step(title: str, *args: str) -> None:
    print(f"\n$ klachten {' '.join(args[2:])}   # {title}", flush=True)
    code = klachten(list(args))
    if code != 0:
        raise SystemExit(f"demo: `klachten {' '.join(args)}` exited {code}")


def main(argv: list[str]) -> int:
    folder = (ROOT / (argv[0] if argv else "demo-run")).resolve()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    config, db = folder / "klachten.toml", folder / "klachten.db"
    mails = samples()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
    smtp = SmtpServer()
    smtp.start()
    imap = None
    reason = dovecot_available()
    try:
        if reason is None:
            imap = DovecotServer()
            imap.start()
            imap.append_many([raw for _, raw in mails])
            print(
                f"demo: {len(mails)} mails appended to a private Dovecot on port "
                f"{imap.port}"
            )
        else:
            _seed_maildir(folder / "Maildir", mails)
            print(
                f"demo: Dovecot not usable ({reason}); {len(mails)} mails in a Maildir"
            )
        for label, _ in mails:
            print(f"  - {label}")
        _config(config, db, smtp, imap)
        _step("create the schema", "--config", str(config), "db", "upgrade")
        _step(
            "intake, acknowledgements, reminders",
            "--config",
            str(config),
            "run",
            "--once",
        )
        _step("the registered cases", "--config", str(config), "cases", "list")
        _step(
            "every stored mail and its class",
            "--config",
            str(config),
            "messages",
            "list",
        )
        smtp.wait_for(1, timeout=5)
        print(
            f"\nacknowledgements received by the local SMTP server: "
            f"{len(smtp.received)}"
        )
        for received in smtp.received:
            print(
                f"  {received.message['Subject']}  ->  language "
                f"{received.message['Content-Language'] or '?'}"
            )
        print(
            f"\nExplore: .venv/bin/klachten --config {config} case show "
            f"<number> (the store stays in {folder})"
        )
    finally:
        smtp.stop()
        if imap is not None:
            imap.stop()
            imap.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
