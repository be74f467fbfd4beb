"""The line at the end of every letter, in the letter's language: which site sent it,
who runs that site, in whose name, and that this person confirmed their address.
Added by compose after the organisers' text, so no template can leave it out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_app_context

# {site} the campaign's address, {organiser} "(name, contact)" or "", {name} the supporter.
# Each sentence avoids grammatical gender: the supporter's is not known.
LINES = {
    "be": (
        "Адпраўлена праз {site}{organiser} ад імя: {name}. Адрас электроннай пошты пацверджаны."
    ),
    "cs": (
        "Odesláno prostřednictvím {site}{organiser} jménem této osoby: {name}. E-mailová "
        "adresa byla ověřena."
    ),
    "de": (
        "Gesendet über {site}{organiser} im Namen von {name}; die E-Mail-Adresse wurde bestätigt."
    ),
    "en": (
        "Sent through {site}{organiser} on behalf of {name}, who confirmed their email address."
    ),
    "es": (
        "Enviado a través de {site}{organiser} en nombre de {name}, cuya dirección de "
        "correo electrónico ha sido confirmada."
    ),
    "et": (
        "Saadetud {site}{organiser} kaudu isiku {name} nimel, kelle e-posti aadress on kinnitatud."
    ),
    "fr": (
        "Envoyé via {site}{organiser} au nom de {name}, dont l'adresse électronique a été"
        " confirmée."
    ),
    "it": (
        "Inviato tramite {site}{organiser} a nome di {name}, il cui indirizzo email è "
        "stato confermato."
    ),
    "lt": (
        "Išsiųsta per {site}{organiser} šio asmens vardu: {name}. El. pašto adresas patvirtintas."
    ),
    "lv": (
        "Nosūtīts ar {site}{organiser} starpniecību šīs personas vārdā: {name}. E-pasta "
        "adrese ir apstiprināta."
    ),
    "nl": "Verzonden via {site}{organiser} namens {name}, van wie het e-mailadres is bevestigd.",
    "pl": (
        "Wysłano za pośrednictwem {site}{organiser} w imieniu osoby: {name}. Adres e-mail"
        " został potwierdzony."
    ),
    "ru": (
        "Отправлено через {site}{organiser} от имени: {name}. Адрес электронной почты подтверждён."
    ),
    "sv": ("Skickat via {site}{organiser} på uppdrag av {name}, vars e-postadress har bekräftats."),
    "uk": (
        "Надіслано через {site}{organiser} від імені: {name}. Адресу електронної пошти "
        "підтверджено."
    ),
}
SEPARATOR = "-- "  # the usual signature delimiter: mail programs set what follows apart


def site_address() -> str:
    """The campaign's public address without its scheme, e.g. campaign.example.org."""
    if not has_app_context():
        return ""
    parts = urlsplit(current_app.config.get("PUBLIC_URL", ""))
    return (parts.netloc + parts.path.rstrip("/")) or ""


def closing_line(campaign, supporter_name: str, language: str) -> str:
    """The line in ``language`` (English when the letter's language has none here)."""
    named = ", ".join(part for part in (campaign.organiser_name, campaign.organiser_email) if part)
    return LINES.get(language, LINES["en"]).format(
        site=site_address() or "the campaign's site",
        organiser=f" ({named})" if named else "",
        name=supporter_name or "…",
    )


def with_closing_line(body: str, campaign, supporter_name: str, language: str) -> str:
    return f"{body.rstrip()}\n\n{SEPARATOR}\n{closing_line(campaign, supporter_name, language)}\n"
