"""Sample mails for the demo: realistic complaints and two machine mails.

Written for the demo only (fictitious members, example.be addresses). The
complaint with a form fills the shipped Dutch PDF the way a PDF viewer would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.formfill import asset, fill_pdf


def _mail(
    sender: str, subject: str, body: str, when: datetime, **headers: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "LM Klachtendienst <klachten@libmutov.be>"
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid(domain="example.be")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def _filled_form() -> bytes:
    return fill_pdf(
        asset("klachtenformulier-nl.pdf"),
        {
            "name": "Vermeulen Marc",
            "member_number": "123-4567890-12",
            "insz": "85.07.30-033.28",
            "street": "Kerkstraat 12",
            "postcode": "9000",
            "city": "Gent",
            "phone": "0470 12 34 56",
            "email": "marc.vermeulen@example.be",
            "date": "20/11/2026",
            "category": "terugbetaling",
            "description": "Mijn kinesitherapie van september werd nog altijd niet "
            "terugbetaald, hoewel ik alle attesten op 2 oktober binnenbracht.",
            "desired_solution": "Terugbetaling van de 9 beurten.",
        },
    )


def samples(now: datetime | None = None) -> list[tuple[str, bytes]]:
    """(label, raw bytes) of the demo's mails, oldest first."""
    now = now or datetime.now(UTC)
    at = [now - timedelta(hours=h) for h in (6, 5, 4, 3, 2, 1)]
    plain = _mail(
        "An Peeters <an.peeters@example.be>",
        "Klacht over de behandeling van mijn dossier",
        "Beste,\n\nSinds juli wacht ik op een antwoord over mijn dossier "
        "arbeidsongeschiktheid. Ik heb al drie keer gebeld en telkens werd me "
        "beloofd dat iemand zou terugbellen, maar er gebeurde niets.\n\n"
        "Kunnen jullie mij laten weten wanneer mijn dossier behandeld wordt?\n\n"
        "Met vriendelijke groeten,\nAn Peeters\nlidnummer 123-9876543-21\n",
        at[0],
    )
    french = _mail(
        "Sophie Dubois <sophie.dubois@example.be>",
        "Plainte concernant l'accueil à l'agence",
        "Madame, Monsieur,\n\nLe 12 novembre, je me suis présentée à votre agence "
        "pour une question sur mes remboursements. J'ai attendu plus d'une heure "
        "et l'employée a refusé de m'aider parce que l'agence fermait.\n\n"
        "Je souhaite que cette situation ne se reproduise pas.\n\n"
        "Veuillez agréer mes salutations distinguées,\nSophie Dubois\n",
        at[1],
    )
    form = _mail(
        "Marc Vermeulen <marc.vermeulen@example.be>",
        "Klachtenformulier",
        "Goedendag,\n\nIn bijlage vindt u mijn ingevuld klachtenformulier.\n\n"
        "Marc Vermeulen\n",
        at[2],
    )
    form.add_attachment(
        _filled_form(),
        maintype="application",
        subtype="pdf",
        filename="klachtenformulier.pdf",
    )
    german = _mail(
        "Jonas Schmitz <jonas.schmitz@example.be>",
        "Beschwerde: Rückerstattung",
        "Sehr geehrte Damen und Herren,\n\nich habe vor zwei Monaten eine "
        "Rechnung für eine Brille eingereicht und warte immer noch auf die "
        "Rückerstattung.\n\nMit freundlichen Grüßen\nJonas Schmitz\n",
        at[3],
    )
    autoreply = _mail(
        "Piet Janssens <piet.janssens@example.be>",
        "Afwezig: Uw vraag",
        "Ik ben afwezig tot 2 december en lees mijn mails niet.\n",
        at[4],
        Auto_Submitted="auto-replied",
    )
    return [
        ("klacht (nl)", plain.as_bytes()),
        ("plainte (fr)", french.as_bytes()),
        ("klachtenformulier (pdf)", form.as_bytes()),
        ("Beschwerde (de)", german.as_bytes()),
        ("afwezigheidsmelding", autoreply.as_bytes()),
        ("bounce", _bounce(at[5])),
    ]


def _bounce(when: datetime) -> bytes:
    date = format_datetime(when)
    return (
        "Return-Path: <>\r\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.be>\r\n"
        "To: klachten@libmutov.be\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {date}\r\n"
        "Message-ID: <bounce-demo-1@mx.example.be>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.example.be.\r\n"
        "I'm sorry to have to inform you that your message could not be "
        "delivered.\r\n\r\n"
        "<oud.adres@example.be>: mailbox unavailable\r\n"
        "\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.be\r\n\r\n"
        "Final-Recipient: rfc822; oud.adres@example.be\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "\r\n--B--\r\n"
    ).encode()
