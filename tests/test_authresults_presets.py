"""[responder] trusted_authserv_ids presets on headers as the providers write them.

Exchange Online adds an Authentication-Results header without an authserv-id
at the top of the message; Google writes "mx.google.com". The settings go
through the real loader and IntakeOptions, as in the service.
"""

from __future__ import annotations

from typing import Any

from config.loader import load_settings
from ingest.classify import classify
from ingest.options import IntakeOptions
from ingest.parse import parse_message
from tests.conftest import write_config
from tests.test_classify import LOOKUP

# As Exchange Online delivers a message whose sender's domain fails DMARC:
# its own header on top (no authserv-id, clauses joined by ";" without a
# space), a forged one further down, written before it arrived.
EXCHANGE = """\
Received: from AM9PR02MB7201.eurprd02.prod.outlook.com (2603:10a6:20b:3d8::9)
 by DB9PR02MB6618.eurprd02.prod.outlook.com with HTTPS; Mon, 2 Mar 2026
 09:00:03 +0000
Authentication-Results: spf=fail (sender IP is 203.0.113.7)
 smtp.mailfrom=example.be; dkim=none (message not signed)
 header.d=none;dmarc={result} action={action} header.from=example.be;compauth={result}
 reason=000
Received-SPF: Fail (protection.outlook.com: domain of example.be does not
 designate 203.0.113.7 as permitted sender) receiver=protection.outlook.com;
 client-ip=203.0.113.7; helo=mail.example.net;
Received: from mail.example.net (203.0.113.7) by
 AM4PEPF00027A5F.mail.protection.outlook.com (10.167.16.73) with Microsoft SMTP
 Server id 15.20.8398.12 via Frontend Transport; Mon, 2 Mar 2026 09:00:02 +0000
Authentication-Results: {forged}
From: Jan Peeters <jan.peeters@example.be>
To: klachten@libmutov.be
Subject: Klacht over terugbetaling
Message-ID: <a1b2c3@mail.example.net>
Date: Mon, 2 Mar 2026 10:00:00 +0100

Ik heb een klacht.
"""

GOOGLE = """\
Delivered-To: klachten@libmutov.be
Received: by 2002:a05:6a10:a0d1:b0:5c1:2f3e:9b11 with SMTP id t17csp1234567pxa;
        Mon, 2 Mar 2026 01:00:03 -0800 (PST)
ARC-Authentication-Results: i=1; mx.google.com;
       dkim=pass header.i=@example.be header.s=sel1 header.b=Ab1cD2eF;
       spf=pass (google.com: domain of jan.peeters@example.be designates
 203.0.113.7 as permitted sender) smtp.mailfrom=jan.peeters@example.be;
       dmarc={result} (p=REJECT sp=REJECT dis={dis}) header.from=example.be
Authentication-Results: mx.google.com;
       dkim=pass header.i=@example.be header.s=sel1 header.b=Ab1cD2eF;
       spf=pass (google.com: domain of jan.peeters@example.be designates
 203.0.113.7 as permitted sender) smtp.mailfrom=jan.peeters@example.be;
       dmarc={result} (p=REJECT sp=REJECT dis={dis}) header.from=example.be
From: Jan Peeters <jan.peeters@example.be>
To: klachten@libmutov.be
Subject: Klacht over terugbetaling
Message-ID: <d4e5f6@mail.example.net>
Date: Mon, 2 Mar 2026 10:00:00 +0100

Ik heb een klacht.
"""


def exchange(result: str, forged: str = "mx.example.net; dmarc=pass") -> bytes:
    action = "oreject" if result == "fail" else "none"
    return EXCHANGE.format(result=result, action=action, forged=forged).encode()


def google(result: str) -> bytes:
    dis = "QUARANTINE" if result == "fail" else "NONE"
    return GOOGLE.format(result=result, dis=dis).encode()


def verdict(tmp_path, raw: bytes, **sections: dict[str, Any]):
    base: dict[str, dict[str, Any]] = {"store": {"url": "sqlite:///x.db"}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    settings = load_settings(write_config(tmp_path / "k.toml", base), environ={})
    options = IntakeOptions.from_settings(settings)
    return classify(parse_message(raw), options.classifier, LOOKUP)


MICROSOFT_OAUTH = {
    "imap": {"auth": "oauth2"},
    "oauth": {
        "provider": "microsoft",
        "tenant": "t",
        "client_id": "c",
        "client_secret": "s",
    },
    "responder": {"trusted_authserv_ids": ["microsoft"]},
}


def test_microsoft_preset_trusts_exchange_onlines_own_header(tmp_path):
    failed = verdict(tmp_path, exchange("fail"), **MICROSOFT_OAUTH)
    assert failed.sender_unverified
    assert failed.sender_unverified_reason == (
        "DMARC failed according to the mailbox's server"
    )
    passed = verdict(tmp_path, exchange("pass"), **MICROSOFT_OAUTH)
    assert passed.sender_verified and not passed.sender_unverified


def test_microsoft_preset_without_microsoft_oauth_trusts_nothing(tmp_path):
    sections = {"responder": {"trusted_authserv_ids": ["microsoft"]}}
    result = verdict(tmp_path, exchange("fail"), **sections)
    assert not result.sender_unverified
    assert not verdict(tmp_path, exchange("pass"), **sections).sender_verified


def test_trust_topmost_without_the_preset(tmp_path):
    sections = {"responder": {"trust_topmost_authentication_results": True}}
    assert verdict(tmp_path, exchange("fail"), **sections).sender_unverified


def test_only_the_topmost_header_without_an_id_counts(tmp_path):
    # A sender's own header, lower down and without an id, claims a failure
    # (or a pass): only Exchange's header on top is believed.
    forged_fail = "spf=pass; dmarc=fail header.from=example.be"
    result = verdict(tmp_path, exchange("pass", forged_fail), **MICROSOFT_OAUTH)
    assert not result.sender_unverified and result.sender_verified
    forged_pass = "spf=pass; dmarc=pass header.from=example.be"
    result = verdict(tmp_path, exchange("fail", forged_pass), **MICROSOFT_OAUTH)
    assert result.sender_unverified and not result.sender_verified


def test_google_preset_is_mx_google_com(tmp_path):
    sections = {"responder": {"trusted_authserv_ids": ["google"]}}
    failed = verdict(tmp_path, google("fail"), **sections)
    assert failed.sender_unverified_reason == "DMARC failed according to mx.google.com"
    assert verdict(tmp_path, google("pass"), **sections).sender_verified
    # Without the preset Google's header is someone else's.
    assert not verdict(tmp_path, google("fail")).sender_unverified
