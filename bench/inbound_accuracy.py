"""How well inbound mail is read, on real and sample messages; prints figures.

1. Classification (human / automatic / bounce hard|soft) of the shared corpus
   (shared/data/mail, the expectations of tests/test_inbound_parsing.py) and of
   the format samples (tests/data/mail_samples, tests/test_inbound_samples.py).
2. Quote stripping: campaign/tracking/inbound/quotes.py against quotequail on the shared
   corpus's human replies, then on the attribution and Outlook-block cases of
   the test suite (top- and bottom-posted).

    python bench/inbound_accuracy.py

quotequail is a bench dependency (`pip install -e '.[bench]'`); without it
only the first part runs. Run it with another checkout on PYTHONPATH to measure
that code (e.g. the integration branch before a change).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaign.tracking.inbound import classify, from_mime, split_quoted  # noqa: E402
from tests.test_inbound_parsing import EXPECTED as CORPUS  # noqa: E402
from tests.test_inbound_parsing import MAIL_DIR  # noqa: E402
from tests.test_inbound_samples import EXPECTED as SAMPLE_KINDS  # noqa: E402
from tests.test_inbound_samples import SAMPLES  # noqa: E402

# The shared corpus's human replies and what their own text must be.
OWN_TEXT_CHECKS = {
    "human/talon_apple_mail.eml": lambda own: own == "Hello",
    "human/talon_gmail.eml": lambda own: own == "Hello",
    "human/talon_outlook.eml": lambda own: own == "Hello",
    "human/talon_thunderbird.eml": lambda own: own == "Hello",
    # Bottom-posted German: the answer after the quotation, without it.
    "human/zammad_mail005.box": lambda own: (
        own.startswith("Hallo Martin,")
        and own.endswith("John & Marc")
        and "schrieb" not in own
        and "> " not in own
    ),
}

ATTRIBUTIONS = [
    "On Mon, Apr 2, 2012 at 6:26 PM, Anna <anna@example.org> wrote:",
    "Am 02.04.2012 um 18:26 schrieb Anna <anna@example.org>:",
    "Le lun. 2 avr. 2012 à 18:26, Anna <anna@example.org> a écrit :",
    "W dniu 02.04.2012 18:26, Anna pisze:",
    "Den 2 apr. 2012 kl. 18:26 skrev Anna <anna@example.org>:",
    "Dne 2. 4. 2012 18:26 napsal(a) Anna <anna@example.org>:",
    "Il giorno lun 2 apr 2012 alle ore 18:26 Anna <anna@example.org> ha scritto:",
    "El lun, 2 abr 2012 a las 18:26, Anna (<anna@example.org>) escribió:",
    "2 апреля 2012 г., 18:26 пользователь Anna <anna@example.org> написал:",
    "02.04.2012 18:26, Anna пишет:",
    "2 квітня 2012 р. о 18:26 Anna <anna@example.org> написав:",
    "2 красавіка 2012 г. у 18:26 Anna <anna@example.org> напісаў:",
    "2012-04-02, pr, 18:26 Anna <anna@example.org> rašė:",
    "pirmd., 2012. g. 2. apr., plkst. 18:26 — lietotājs Anna rakstīja:",
]
OUTLOOK_BLOCKS = [
    "-----Original Message-----\nFrom: Jan\nSent: Monday\nTo: Anna\nSubject: Letter",
    "-----Ursprüngliche Nachricht-----\nVon: Jan\nGesendet: Montag\nAn: Anna",
    "________________________________\nFrom: Jan <jan@example.org>\n"
    "Sent: Monday, April 2, 2012 6:26 PM\nTo: Anna\nSubject: Letter",
    "De : Jan\nEnvoyé : lundi 2 avril 2012 18:26\nÀ : Anna\nObjet : Lettre",
    "От: Jan\nОтправлено: 2 апреля 2012 г. 18:26\nКому: Anna\nТема: Письмо",
]


def synthetic_cases() -> list[tuple[str, str]]:
    """(text, own text) pairs: answer above, answer below, Outlook blocks."""
    cases = []
    for attribution in ATTRIBUTIONS:
        answer = "Thank you, we will raise it."
        cases.append((f"{answer}\n\n{attribution}\n\n> Please help free them.\n> Jan\n", answer))
        cases.append((f"{attribution}\n> Please help free them.\n\n{answer}\n", answer))
    for block in OUTLOOK_BLOCKS:
        answer = "Thank you for your letter."
        cases.append((f"{answer}\n\n{block}\n\nPlease help free the prisoners.\n", answer))
    return cases


def classification() -> None:
    for title, directory, expected in (
        ("shared corpus", MAIL_DIR, CORPUS),
        ("format samples", SAMPLES, SAMPLE_KINDS),
    ):
        right, wrong = 0, []
        for name, want in sorted(expected.items()):
            result = classify(from_mime((directory / name).read_bytes()))
            if (result.kind, result.bounce) == want:
                right += 1
            else:
                wrong.append(f"{name}: {result.kind} {result.bounce} (want {want[0]} {want[1]})")
        share = 100 * right / len(expected)
        print(f"classification, {title}: {right}/{len(expected)} right ({share:.0f} %)")
        for line in wrong:
            print("  wrong:", line)


def quotequail_own(text: str) -> str:
    import quotequail

    unwrapped = quotequail.unwrap(text)
    if unwrapped:
        parts = [unwrapped.get("text_top"), unwrapped.get("text_bottom")]
        return "\n\n".join(p for p in parts if p).strip()
    return "\n".join(part for visible, part in quotequail.quote(text) if visible).strip()


def ours_own(text: str) -> str:
    return split_quoted(text)[0].strip()


def quotes() -> None:
    try:
        import quotequail  # noqa: F401
    except ImportError:
        print("quote stripping: quotequail is not installed (pip install -e '.[bench]')")
        return
    corpus = {
        name: from_mime((MAIL_DIR / name).read_bytes()).text for name in sorted(OWN_TEXT_CHECKS)
    }
    cases = synthetic_cases()
    for label, own in (
        ("campaign/tracking/inbound/quotes.py", ours_own),
        ("quotequail", quotequail_own),
    ):
        right = sum(OWN_TEXT_CHECKS[name](own(text)) for name, text in corpus.items())
        print(f"quote stripping, shared corpus, {label}: {right}/{len(corpus)} replies right")
        right = sum(own(text) == want for text, want in cases)
        print(f"quote stripping, test-suite cases, {label}: {right}/{len(cases)} right")


if __name__ == "__main__":
    classification()
    quotes()
