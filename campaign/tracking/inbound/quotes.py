"""Separate a reply's own text from the quotation of the letter it answers.

The quotation usually repeats the supporter's letter, so it is shown to staff
separately and erased later by the retention job. Recognised:

* lines starting with ``>`` (at any position: top-posted, bottom-posted or
  interleaved answers all keep their own lines);
* the attribution line that introduces a quote ("On ... wrote:", "Am ...
  schrieb ...:", "Le ... a écrit :", "W dniu ... pisze:" and the like in the
  campaign languages, also when wrapped over two or three lines);
* Outlook-style quotations without ``>``: a "-----Original Message-----"
  separator or a "From: / Sent: / To: / Subject:" header block, in any of the
  campaign languages, and everything after it;
* an attribution with a date and time (or an address) that is followed by
  unmarked text, when the answer came first: everything after it;
* a signature after a "-- " line, and everything after it.

:func:`split_quoted` returns both halves; :func:`strip_quoted` and
:func:`quoted_part` return one each. Every line of the input ends up in exactly
one of the two.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["quoted_part", "split_quoted", "strip_quoted"]


def _norm(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


def _alternation(phrases: list[str]) -> str:
    normalised = sorted({_norm(p) for p in phrases}, key=len, reverse=True)
    return "|".join(re.escape(p) for p in normalised)


# Verbs of attribution lines ("... wrote:", "schrieb ...:", "... a écrit :").
_VERBS = [
    "wrote",
    "writes",
    "schrieb",
    "a écrit",
    "pisze",
    "napisał",
    "napisała",
    "schreef",
    "skrev",
    "napsal",
    "napsala",
    "ha scritto",
    "escribió",
    "написал",
    "написала",
    "пишет",
    "написав",
    "написала",
    "пише",
    "напісаў",
    "напісала",
    "піша",
    "rašė",
    "rakstīja",
    "kirjutas",
    "kirjoitti",
]
_VERB_RE = re.compile(r"(?<!\w)(?:" + _alternation(_VERBS) + r")(?!\w).{0,160}:$")
_TIME_RE = re.compile(r"\d{1,2}[:.h]\d\d|@")
# How attribution lines begin ("On ...", "Am ...", "Le ...", "W dniu ...").
_INTRO = ["On", "Am", "Le", "W dniu", "Dnia", "Op", "Den", "Dne", "Il", "El", "В", "У", "Ў"]
_INTRO_RE = re.compile(r"^(?:" + _alternation(_INTRO) + r")(?!\w)")

_FROM_LABELS = [
    "From",
    "Von",
    "De",
    "Od",
    "Från",
    "Fra",
    "Van",
    "Da",
    "От",
    "Від",
    "Ад",
    "Saatja",
    "No",
    "Nuo",
    "Lähettäjä",
]
_SENT_LABELS = [
    "Sent",
    "Date",
    "Gesendet",
    "Datum",
    "Envoyé",
    "Envoyé le",
    "Wysłano",
    "Wysłane",
    "Data",
    "Skickat",
    "Verzonden",
    "Inviato",
    "Enviado",
    "Enviado el",
    "Fecha",
    "Отправлено",
    "Дата",
    "Надіслано",
    "Адпраўлена",
    "Saadetud",
    "Nosūtīts",
    "Išsiųsta",
    "Odesláno",
    "Sendt",
    "Lähetetty",
]
_TO_LABELS = [
    "To",
    "An",
    "À",
    "A",
    "Do",
    "Till",
    "Aan",
    "Para",
    "Кому",
    "Каму",
    "Komu",
    "Saaja",
    "Kam",
    "Kenelle",
    "Til",
    "Cc",
    "Subject",
    "Betreff",
    "Objet",
    "Temat",
    "Ämne",
    "Onderwerp",
    "Oggetto",
    "Asunto",
    "Тема",
    "Předmět",
    "Teema",
    "Tēma",
    "Tema",
    "Aihe",
    "Emne",
]


def _label_re(labels: list[str]) -> re.Pattern[str]:
    return re.compile(r"^\*{0,2}\s*(?:" + _alternation(labels) + r")\s*\*{0,2}\s*:")


_FROM_RE = _label_re(_FROM_LABELS)
_SENT_RE = _label_re(_SENT_LABELS)
_TO_RE = _label_re(_TO_LABELS)

_SEPARATORS = [
    "Original Message",
    "Ursprüngliche Nachricht",
    "Originalnachricht",
    "Message d'origine",
    "Message original",
    "Oryginalna wiadomość",
    "Wiadomość oryginalna",
    "Oorspronkelijk bericht",
    "Originalmeddelande",
    "Ursprungligt meddelande",
    "Původní zpráva",
    "Messaggio originale",
    "Mensaje original",
    "Исходное сообщение",
    "Вихідне повідомлення",
    "Зыходнае паведамленне",
    "Algne sõnum",
    "Sākotnējais ziņojums",
    "Pradinis laiškas",
    "Original meddelelse",
    "Opprinnelig melding",
    "Alkuperäinen viesti",
]
_SEPARATOR_RE = re.compile(r"^[-_=*\s]{2,}(?:" + _alternation(_SEPARATORS) + r")[-_=*\s]*$")
_UNDERSCORE_RE = re.compile(r"^\s*_{8,}\s*$")
_QUOTE_RE = re.compile(r"^ {0,3}>")
_SIGNATURE_RE = re.compile(r"^-- ?$")


def _is_quote(line: str) -> bool:
    return bool(_QUOTE_RE.match(line))


def _is_blank(line: str) -> bool:
    return not line.strip()


def _next_nonblank(lines: list[str], start: int) -> int:
    j = start
    while j < len(lines) and _is_blank(lines[j]):
        j += 1
    return j


def _starts_like_attribution(line: str) -> bool:
    first = _norm(line)
    return bool(_INTRO_RE.match(first) or _TIME_RE.search(first) or first[:1].isdigit())


def _attribution(lines: list[str], i: int) -> tuple[int, bool] | None:
    """(end, strong) if an attribution starts at line ``i``, spanning
    ``lines[i:end]``; ``strong`` when it names a time or an address."""
    for k in range(3):
        end = i + k + 1
        if end > len(lines):
            return None
        chunk = lines[i:end]
        if any(_is_blank(x) or _is_quote(x) for x in chunk):
            return None
        if k and chunk[-2].rstrip().endswith(":"):
            return None
        candidate = _norm(" ".join(x.strip() for x in chunk))
        if len(candidate) > 300:
            return None
        if not candidate.endswith(":"):
            continue
        verb = bool(_VERB_RE.search(candidate))
        dated = bool(_TIME_RE.search(candidate))
        if k:
            # A wrapped attribution starts like one, and does not merely
            # precede one that starts on the next line.
            if not dated or not _starts_like_attribution(chunk[0]):
                return None
            if _starts_like_attribution(chunk[1]):
                return None
        if verb:
            return end, dated
        # No verb ("2012-04-02 18:26 GMT+04:00 Name <addr>:"): an attribution
        # only when a quote follows; see split_quoted.
        if dated:
            return end, False
        return None
    return None


def _is_header_block(lines: list[str], i: int) -> bool:
    if not _FROM_RE.match(_norm(lines[i])):
        return False
    sent = to = False
    for line in lines[i + 1 : i + 8]:
        if _is_quote(line):
            return False
        norm = _norm(line)
        sent = sent or bool(_SENT_RE.match(norm))
        to = to or bool(_TO_RE.match(norm))
        if sent and to:
            return True
    return False


def _starts_quotation(lines: list[str], i: int) -> bool:
    norm = _norm(lines[i])
    if _SEPARATOR_RE.match(norm) or _is_header_block(lines, i):
        return True
    if _UNDERSCORE_RE.match(lines[i]):
        j = _next_nonblank(lines, i + 1)
        return j < len(lines) and _is_header_block(lines, j)
    return False


def _tidy(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if _is_blank(line) and (not out or _is_blank(out[-1])):
            continue
        out.append(line)
    while out and _is_blank(out[-1]):
        out.pop()
    return "\n".join(out)


def split_quoted(text: str) -> tuple[str, str]:
    """Return ``(own text, quoted text)`` of a reply (see the module docstring)."""
    if not text:
        return "", ""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    n = len(lines)
    removed = [_is_quote(line) for line in lines]

    cut = None
    own_before = False  # a kept, non-blank line came before line i
    i = 0
    while i < n:
        if removed[i] or _is_blank(lines[i]):
            i += 1
            continue
        found = _attribution(lines, i)
        if found:
            end, strong = found
            follow = _next_nonblank(lines, end)
            if follow < n and _is_quote(lines[follow]):
                for j in range(i, end):
                    removed[j] = True
                i = end
                continue
            if strong:
                if own_before:
                    cut = i
                    break
                for j in range(i, end):
                    removed[j] = True
                i = end
                continue
        if _starts_quotation(lines, i) or _SIGNATURE_RE.match(lines[i]):
            cut = i
            break
        own_before = True
        i += 1
    if cut is not None:
        for j in range(cut, n):
            removed[j] = True

    # Blank lines with removed text on both sides belong to the quotation.
    j = 0
    while j < n:
        if not _is_blank(lines[j]):
            j += 1
            continue
        start = j
        while j < n and _is_blank(lines[j]):
            j += 1
        before = removed[start - 1] if start > 0 else True
        after = removed[j] if j < n else True
        if before and after:
            for k in range(start, j):
                removed[k] = True

    own = _tidy([line for line, r in zip(lines, removed, strict=True) if not r])
    quoted = _tidy([line for line, r in zip(lines, removed, strict=True) if r])
    return own, quoted


def strip_quoted(text: str) -> str:
    """The reply without quotation, attribution and signature."""
    return split_quoted(text)[0]


def quoted_part(text: str) -> str:
    """What :func:`strip_quoted` removes."""
    return split_quoted(text)[1]
