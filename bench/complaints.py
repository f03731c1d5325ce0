"""Distinct, realistic complaint mails as bytes, for the benchmarks.

Every message has its own sender (the per-address acknowledgement limit must
not skip any), its own Message-ID and its own wording, in Dutch or French.
One in ten carries a 40 KB attachment: alternately a text PDF (an invoice the
form reader opens and rejects as "not a form") and an opaque binary file.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from functools import cache
from io import BytesIO

ATTACHMENT_BYTES = 40 * 1024

# fmt: off
_FIRST = ("An", "Bart", "Chloé", "Dirk", "Els", "François", "Griet", "Hélène",
          "Ilse", "Jean", "Karel", "Lotte", "Marc", "Nathalie", "Olivier", "Pieter")
_LAST = ("Peeters", "Janssens", "Maes", "Dubois", "Lambert", "Claes", "Goossens",
         "Wouters", "Dupont", "Martin", "Hermans", "Leclercq", "Willems", "Renard")
_CITIES = (("2000", "Antwerpen"), ("9000", "Gent"), ("1000", "Brussel"),
           ("4000", "Liège"), ("5000", "Namur"), ("3000", "Leuven"),
           ("8000", "Brugge"), ("7000", "Mons"), ("6000", "Charleroi"))
_NL = {
    "subjects": ("Klacht over terugbetaling", "Klacht: dossier loopt al maanden",
                 "Onvriendelijk onthaal in het kantoor", "Fout in mijn afrekening",
                 "Klacht over arbeidsongeschiktheid", "Geen antwoord op mijn brief"),
    "opening": "Geachte heer, mevrouw,",
    "lines": ("Op {day} diende ik een aanvraag in voor de terugbetaling van {what}.",
              "Sindsdien heb ik niets meer gehoord, ondanks {n} telefoontjes.",
              "Aan het loket kreeg ik telkens een ander antwoord.",
              "Het bedrag van {amount} euro is nog altijd niet op mijn rekening.",
              "Ik vind dit onaanvaardbaar en wil dat mijn dossier herbekeken wordt.",
              "Mijn arts bezorgde alle attesten al op {day}."),
    "things": ("een bril", "kinesitherapie", "een ziekenhuisopname",
               "tandzorg", "een hoorapparaat", "logopedie"),
    "closing": "Met vriendelijke groeten,",
    "member": "Lidnummer",
}
_FR = {
    "subjects": ("Plainte concernant un remboursement", "Réclamation : dossier bloqué",
                 "Accueil désagréable à l'agence", "Erreur dans mon décompte",
                 "Plainte incapacité de travail", "Pas de réponse à mon courrier"),
    "opening": "Madame, Monsieur,",
    "lines": ("Le {day}, j'ai introduit une demande de remboursement pour {what}.",
              "Depuis, je n'ai reçu aucune nouvelle malgré {n} appels.",
              "Au guichet, on m'a donné chaque fois une réponse différente.",
              "Le montant de {amount} euros n'est toujours pas sur mon compte.",
              "Je trouve cela inacceptable et je demande un réexamen du dossier.",
              "Mon médecin a envoyé tous les certificats le {day}."),
    "things": ("des lunettes", "la kinésithérapie", "une hospitalisation",
               "des soins dentaires", "un appareil auditif", "la logopédie"),
    "closing": "Veuillez agréer mes salutations distinguées,",
    "member": "Numéro de membre",
}
# fmt: on


def make_complaints(
    n: int, *, seed: int = 9, attachment_every: int = 10
) -> list[bytes]:
    """`n` distinct complaint mails; every `attachment_every`-th has 40 KB
    attached (0: none). The same seed gives the same bytes."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    return [
        complaint(
            rng,
            index,
            start + timedelta(seconds=37 * index),
            attachment=_attachment(rng, index, attachment_every),
        )
        for index in range(n)
    ]


def complaint(
    rng: random.Random,
    index: int,
    date: datetime,
    *,
    attachment: tuple[str, str, bytes] | None = None,
    domain: str = "leden.example",
) -> bytes:
    """One complaint mail from sender number `index`, as CRLF bytes."""
    words = _NL if rng.random() < 0.6 else _FR
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    postcode, city = rng.choice(_CITIES)
    msg = EmailMessage()
    msg["From"] = f"{first} {last} <lid{index:06d}@{domain}>"
    msg["To"] = "LM Klachtendienst <klachten@libmutov.be>"
    msg["Subject"] = f"{rng.choice(words['subjects'])} ({index})"
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = make_msgid(f"bench{index}", domain)
    msg.set_content(_body(rng, words, first, last, postcode, city, index))
    if attachment is not None:
        filename, content_type, data = attachment
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)


def _body(
    rng: random.Random,
    words: dict,
    first: str,
    last: str,
    postcode: str,
    city: str,
    index: int,
) -> str:
    day = f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/2025"
    values = {
        "day": day,
        "what": rng.choice(words["things"]),
        "n": rng.randint(2, 9),
        "amount": f"{rng.randint(12, 2400)},{rng.randint(0, 99):02d}",
    }
    lines = rng.sample(words["lines"], k=rng.randint(3, len(words["lines"])))
    text = " ".join(line.format(**values) for line in lines)
    return (
        f"{words['opening']}\n\n{text}\n\n{words['closing']}\n{first} {last}\n"
        f"Kerkstraat {rng.randint(1, 250)}, {postcode} {city}\n"
        f"{words['member']}: {rng.randint(10**9, 10**10 - 1)} (ref {index})\n"
    )


def _attachment(
    rng: random.Random, index: int, every: int
) -> tuple[str, str, bytes] | None:
    if not every or index % every != every - 1:
        return None
    if (index // every) % 2 == 0:
        return f"factuur-{index}.pdf", "application/pdf", invoice_pdf()
    data = rng.randbytes(ATTACHMENT_BYTES)
    return f"export-{index}.bin", "application/octet-stream", data


@cache
def invoice_pdf(size: int = ATTACHMENT_BYTES) -> bytes:
    """A text PDF of at least `size` bytes: pages of invoice lines, uncompressed."""
    pages = 1
    while len(data := _pdf_pages(pages)) < size:
        pages += 1
    return data


def _pdf_pages(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=0, invariant=1)
    for page in range(pages):
        for row in range(55):
            code = page * 55 + row
            text = f"Prestatie {code:05d}  code 10{code % 97:02d}  {code % 50}.00 EUR"
            pdf.drawString(50, 800 - 14 * row, text)
        pdf.showPage()
    pdf.save()
    return out.getvalue()
