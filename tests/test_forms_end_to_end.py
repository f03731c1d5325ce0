"""A filled form or a web-form notification, mailed to the real Dovecot, ends
as a case with the member's details, and the acknowledgement goes to the
member's own address."""

from __future__ import annotations

from email.message import EmailMessage

from tests.formfill import asset, fill_pdf, insz
from tests.intake_mail import imap_sections

VALID_INSZ = insz("850730033")
FORM_VALUES = {
    "name": "Vermeulen Marc",
    "member_number": "123-4567890-12",
    "insz": VALID_INSZ,
    "street": "Kerkstraat 12",
    "postcode": "9000",
    "city": "Gent",
    "phone": "0470 12 34 56",
    "email": "marc.vermeulen@example.be",
    "category": "terugbetaling",
    "description": "Mijn kinesitherapie werd nog niet terugbetaald.",
    "desired_solution": "Terugbetaling van de beurten.",
}


def _mail(sender: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "klachten@libmutov.be"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash(subject + body))}@example.be>"
    message.set_content(body)
    return message


def _config(make_config, db_url, imap, smtp_server):
    return make_config(
        db_url,
        imap=imap_sections(imap),
        smtp={"host": smtp_server.host, "port": smtp_server.port},
    )


def test_pdf_form_fields_reach_case_show(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    mail = _mail("Marc <marc.prive@example.com>", "Klachtenformulier", "Zie bijlage.")
    filled = fill_pdf(asset("klachtenformulier-nl.pdf"), FORM_VALUES)
    mail.add_attachment(
        filled, maintype="application", subtype="pdf", filename="formulier.pdf"
    )
    imap.append(mail.as_bytes())
    config = _config(make_config, db_url, imap, smtp_server)

    assert cli("--config", config, "run", "--once").code == 0
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    shown = cli("--config", config, "case", "show", case["number"], "--format", "json")
    detail = shown.json()

    fields = {f["key"]: f for f in detail["form_fields"]}
    assert fields["insz"]["value"] == VALID_INSZ
    assert fields["insz"]["source"] == "pdf-acroform"
    assert fields["insz"]["origin"] == "formulier.pdf"
    assert detail["channel"] == "form"
    assert detail["category"] == "terugbetaling"
    member = detail["member"]
    assert member["name"] == "Vermeulen Marc"
    assert member["insz_valid"] is True
    assert member["postcode"] == "9000" and member["city"] == "Gent"
    assert member["phone"] == "+32470123456"
    # The form's address differs from the sender's: both kept, the form wins.
    assert member["email"] == "marc.vermeulen@example.be"
    conflict = [e for e in detail["events"] if e["kind"] == "form_conflict"]
    assert conflict and "marc.prive@example.com" in str(conflict[0]["details"])
    (ack,) = smtp_server.wait_for(1)
    assert ack.rcpt_tos == ("marc.vermeulen@example.be",)


def test_web_form_from_no_reply_is_acknowledged_to_the_member(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    body = (
        "Nieuw bericht via het contactformulier van de website\n\n"
        "Naam: Sophie Dubois\n"
        "E-mail: sophie.dubois@example.be\n"
        "Telefoon: 02 542 86 00\n"
        "Postcode: 1000\n"
        "Omschrijving van de klacht: Mijn terugbetaling is al twee maanden "
        "te laat.\n"
    )
    imap.append(_mail("noreply@libmutov.be", "Contactformulier", body).as_bytes())
    config = _config(make_config, db_url, imap, smtp_server)

    assert cli("--config", config, "run", "--once").code == 0
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    assert case["member"]["email"] == "sophie.dubois@example.be"
    assert case["member"]["name"] == "Sophie Dubois"
    (ack,) = smtp_server.wait_for(1)
    assert ack.rcpt_tos == ("sophie.dubois@example.be",)
    assert case["number"] in ack.message["Subject"]


WEBSITE_DE = """\
Neue Nachricht über das Kontaktformular der Website

Vorname und Name: Karl Schmitz
E-Mail-Adresse: karl.schmitz@example.be
Telefonnummer: 080 22 33 44
Postleitzahl: 4780
Ort: St. Vith
Betreff: Beschwerde
Ihre Nachricht: Guten Tag, seit drei Monaten keine Rückerstattung meiner
Zahnarztrechnung.
"""

ELOKET_EN = """\
e-Loket notification

Full name: Emma Jones
Email address: emma.jones@example.be
Member number: 123456789
Postal code: 1050
City: Brussels
Subject: Complaint
Your message: I have been waiting three months for my refund.
"""


def test_german_and_english_notifications_are_read(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    """Issue 17: a German contact-form notification became channel email,
    member "Website LM", and no acknowledgement went out."""
    website = _mail("Website LM <noreply@libmutov.be>", "Kontaktformular", WEBSITE_DE)
    eloket = _mail("e-Loket <no-reply@libmutov.be>", "e-Loket: new message", ELOKET_EN)
    imap.append(website.as_bytes())
    imap.append(eloket.as_bytes())
    config = _config(make_config, db_url, imap, smtp_server)

    assert cli("--config", config, "run", "--once").code == 0
    cases = cli("--config", config, "cases", "list", "--format", "json").json()
    by_name = {case["member"]["name"]: case for case in cases}
    karl, emma = by_name["Karl Schmitz"], by_name["Emma Jones"]
    assert (karl["channel"], karl["language"]) == ("contact-form", "de")
    assert karl["member"]["email"] == "karl.schmitz@example.be"
    assert karl["member"]["postcode"] == "4780"
    assert karl["category"] == "terugbetaling"  # suggested, not "Beschwerde"
    assert "category_suggested" in karl["flags"]
    assert (emma["channel"], emma["language"]) == ("e-loket", "en")
    assert emma["member"]["email"] == "emma.jones@example.be"
    assert "no_contact_address" not in karl["flags"] + emma["flags"]
    acks = {m.rcpt_tos[0]: m.message for m in smtp_server.wait_for(2)}
    german = acks["karl.schmitz@example.be"].get_body(("plain",)).get_content()
    assert "Beschwerde" in german and "Tagen" in german
    english = acks["emma.jones@example.be"].get_body(("plain",)).get_content()
    assert "complaint" in english


ELOKET_FR_ADDRESS = """\
Notification e-Loket

Nom : Marie Dubois
Courriel : marie.dubois@example.be
Adresse : Rue de la Loi 16 bte 3
B-1000 Bruxelles
Votre message :
Mon dossier traîne depuis deux mois.
Date et signature : le 3 mars, M. Dubois
"""


def test_addresses_are_split_from_forms_and_notifications(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    """Issue 17 item 8: "Kerkstraat 14, 9300 Aalst" stayed whole in `street`."""
    mail = _mail("Jan <jan.peeters@example.be>", "Klacht", "Zie bijlage.")
    values = {**FORM_VALUES, "street": "Kerkstraat 14, 9300 Aalst"}
    del values["postcode"], values["city"]
    filled = fill_pdf(asset("klachtenformulier-nl.pdf"), values)
    mail.add_attachment(
        filled, maintype="application", subtype="pdf", filename="formulier.pdf"
    )
    imap.append(mail.as_bytes())
    eloket = _mail("e-Loket <no-reply@libmutov.be>", "e-Loket", ELOKET_FR_ADDRESS)
    imap.append(eloket.as_bytes())
    config = _config(make_config, db_url, imap, smtp_server)

    assert cli("--config", config, "run", "--once").code == 0
    cases = cli("--config", config, "cases", "list", "--format", "json").json()
    by_name = {case["member"]["name"]: case for case in cases}
    marc = by_name["Vermeulen Marc"]["member"]
    assert (marc["street"], marc["postcode"], marc["city"]) == (
        "Kerkstraat 14",
        "9300",
        "Aalst",
    )
    number = by_name["Marie Dubois"]["number"]
    shown = cli("--config", config, "case", "show", number, "--format", "json").json()
    marie = shown["member"]
    assert (marie["street"], marie["postcode"], marie["city"]) == (
        "Rue de la Loi 16 bte 3",
        "1000",
        "Bruxelles",
    )
    typed = {f["key"]: f["value"] for f in shown["form_fields"]}
    assert typed["street"] == "Rue de la Loi 16 bte 3\nB-1000 Bruxelles"
    assert typed["description"] == "Mon dossier traîne depuis deux mois."
    assert "signature" not in (shown["description"] or "")
