"""How a letter addresses its recipient, in the letter's language: the title agreeing
with the recipient's gender where the language inflects it, and the salutation.

Imported titles are in whatever language the source wrote them, so a letter never
prints them: it takes the title organisers set for the body in that language
(Body.titles), else the usual title for the body's kind. Where the sources do not
give the gender, the salutation is neutral and names the person in full.
"""

from __future__ import annotations

FEMALE, MALE, UNKNOWN = "female", "male", ""
GENDERS = (FEMALE, MALE, UNKNOWN)

# Title per letter language and body kind: (woman, man, gender not given). Where the
# language has no form that leaves gender open, the last is empty for ministers.
TITLES: dict[str, dict[str, tuple[str, str, str]]] = {
    "be": {
        "parliament": ("Дэпутатка", "Дэпутат", "Член парламента"),
        "european_parliament": (
            "Дэпутатка Еўрапейскага парламента",
            "Дэпутат Еўрапейскага парламента",
            "Член Еўрапейскага парламента",
        ),
        "ministry": ("Міністр", "Міністр", "Міністр"),
    },
    "cs": {
        "parliament": ("Poslankyně", "Poslanec", "Člen parlamentu"),
        "european_parliament": (
            "Poslankyně Evropského parlamentu",
            "Poslanec Evropského parlamentu",
            "Člen Evropského parlamentu",
        ),
        "ministry": ("Ministryně", "Ministr", ""),
    },
    "de": {
        "parliament": ("Abgeordnete", "Abgeordneter", "Mitglied des Parlaments"),
        "european_parliament": (
            "Abgeordnete des Europäischen Parlaments",
            "Abgeordneter des Europäischen Parlaments",
            "Mitglied des Europäischen Parlaments",
        ),
        "ministry": ("Ministerin", "Minister", "Regierungsmitglied"),
    },
    "en": {
        "parliament": ("Member of Parliament",) * 3,
        "european_parliament": ("Member of the European Parliament",) * 3,
        "ministry": ("Minister",) * 3,
    },
    "es": {
        "parliament": ("Diputada", "Diputado", "Miembro del Parlamento"),
        "european_parliament": ("Eurodiputada", "Eurodiputado", "Miembro del Parlamento Europeo"),
        "ministry": ("Ministra", "Ministro", "Miembro del Gobierno"),
    },
    "et": {
        "parliament": ("Parlamendiliige",) * 3,
        "european_parliament": ("Euroopa Parlamendi liige",) * 3,
        "ministry": ("Minister",) * 3,
    },
    "fr": {
        "parliament": ("Députée", "Député", "Membre du Parlement"),
        "european_parliament": (
            "Députée européenne",
            "Député européen",
            "Membre du Parlement européen",
        ),
        "ministry": ("Ministre",) * 3,
    },
    "it": {
        "parliament": ("Deputata", "Deputato", "Membro del Parlamento"),
        "european_parliament": (
            "Deputata al Parlamento europeo",
            "Deputato al Parlamento europeo",
            "Membro del Parlamento europeo",
        ),
        "ministry": ("Ministra", "Ministro", "Membro del Governo"),
    },
    "lt": {
        "parliament": ("Seimo narė", "Seimo narys", ""),
        "european_parliament": ("Europos Parlamento narė", "Europos Parlamento narys", ""),
        "ministry": ("Ministrė", "Ministras", ""),
    },
    "lv": {
        "parliament": ("Deputāte", "Deputāts", "Parlamenta loceklis"),
        "european_parliament": (
            "Eiropas Parlamenta deputāte",
            "Eiropas Parlamenta deputāts",
            "Eiropas Parlamenta loceklis",
        ),
        "ministry": ("Ministre", "Ministrs", ""),
    },
    "nl": {
        "parliament": ("Parlementslid",) * 3,
        "european_parliament": ("Lid van het Europees Parlement",) * 3,
        "ministry": ("Minister",) * 3,
    },
    "pl": {
        "parliament": ("Posłanka", "Poseł", "Poseł"),
        "european_parliament": (
            "Posłanka do Parlamentu Europejskiego",
            "Poseł do Parlamentu Europejskiego",
            "Poseł do Parlamentu Europejskiego",
        ),
        "ministry": ("Minister",) * 3,
    },
    "ru": {
        "parliament": ("Депутат",) * 3,
        "european_parliament": ("Депутат Европейского парламента",) * 3,
        "ministry": ("Министр",) * 3,
    },
    "sv": {
        "parliament": ("Parlamentsledamot",) * 3,
        "european_parliament": ("Ledamot av Europaparlamentet",) * 3,
        "ministry": ("Minister",) * 3,
    },
    "uk": {
        "parliament": ("Депутатка", "Депутат", "Член парламенту"),
        "european_parliament": (
            "Депутатка Європейського парламенту",
            "Депутат Європейського парламенту",
            "Член Європейського парламенту",
        ),
        "ministry": ("Міністерка", "Міністр", "Міністр"),
    },
}

# Salutation per letter language and body kind, for a woman and for a man, without
# its closing punctuation (each letter keeps its own). {name} is the full name.
_MEMBER = "parliament"
SALUTATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "be": {
        _MEMBER: ("Шаноўная спадарыня дэпутатка", "Шаноўны спадар дэпутат"),
        "ministry": ("Шаноўная спадарыня міністр", "Шаноўны спадар міністр"),
    },
    "cs": {
        _MEMBER: ("Vážená paní poslankyně", "Vážený pane poslanče"),
        "ministry": ("Vážená paní ministryně", "Vážený pane ministře"),
    },
    "de": {
        _MEMBER: ("Sehr geehrte Frau {name}", "Sehr geehrter Herr {name}"),
        "ministry": ("Sehr geehrte Frau Ministerin", "Sehr geehrter Herr Minister"),
    },
    "en": {
        _MEMBER: ("Dear Ms {name}", "Dear Mr {name}"),
        "ministry": ("Dear Minister", "Dear Minister"),
    },
    "es": {
        _MEMBER: ("Estimada señora diputada", "Estimado señor diputado"),
        "european_parliament": ("Estimada señora eurodiputada", "Estimado señor eurodiputado"),
        "ministry": ("Estimada señora ministra", "Estimado señor ministro"),
    },
    "et": {
        _MEMBER: ("Lugupeetud {name}", "Lugupeetud {name}"),
        "ministry": ("Lugupeetud minister", "Lugupeetud minister"),
    },
    "fr": {
        _MEMBER: ("Madame la Députée", "Monsieur le Député"),
        "ministry": ("Madame la Ministre", "Monsieur le Ministre"),
    },
    "it": {
        _MEMBER: ("Gentile onorevole {name}", "Gentile onorevole {name}"),
        "ministry": ("Gentile Ministra", "Gentile Ministro"),
    },
    "lt": {
        _MEMBER: ("Gerbiama Seimo nare", "Gerbiamas Seimo nary"),
        "european_parliament": (
            "Gerbiama Europos Parlamento nare",
            "Gerbiamas Europos Parlamento nary",
        ),
        "ministry": ("Gerbiama ministre", "Gerbiamas ministre"),
    },
    "lv": {
        _MEMBER: ("Godātā deputāte", "Godātais deputāt"),
        "ministry": ("Godātā ministre", "Godātais ministr"),
    },
    "nl": {
        _MEMBER: ("Geachte mevrouw {name}", "Geachte heer {name}"),
        "ministry": ("Geachte minister", "Geachte minister"),
    },
    "pl": {
        _MEMBER: ("Szanowna Pani Posłanko", "Szanowny Panie Pośle"),
        "ministry": ("Szanowna Pani Minister", "Szanowny Panie Ministrze"),
    },
    "ru": {
        _MEMBER: ("Уважаемая госпожа депутат", "Уважаемый господин депутат"),
        "ministry": ("Уважаемая госпожа министр", "Уважаемый господин министр"),
    },
    "sv": {
        _MEMBER: ("Bästa {name}", "Bästa {name}"),
        "ministry": ("Bästa {name}", "Bästa {name}"),
    },
    "uk": {
        _MEMBER: ("Шановна пані депутатко", "Шановний пане депутате"),
        "ministry": ("Шановна пані міністерко", "Шановний пане міністре"),
    },
}
# Where the gender is not given: a greeting that needs none, and the full name.
NEUTRAL_SALUTATIONS = {
    "be": "Добры дзень, {name}",
    "cs": "Dobrý den, {name}",
    "de": "Guten Tag {name}",
    "en": "Dear {name}",
    "es": "Buenos días, {name}",
    "et": "Lugupeetud {name}",
    "fr": "Bonjour {name}",
    "it": "Gentile {name}",
    "lt": "Laba diena, {name}",
    "lv": "Labdien, {name}",
    "nl": "Geachte {name}",
    "pl": "Dzień dobry, {name}",
    "ru": "Здравствуйте, {name}",
    "sv": "Bästa {name}",
    "uk": "Добрий день, {name}",
}
LETTER_LANGUAGES = tuple(NEUTRAL_SALUTATIONS)


def _kind(kind: str) -> str:
    return kind if kind in ("parliament", "european_parliament", "ministry") else "parliament"


def _index(gender: str) -> int:
    return GENDERS.index(gender) if gender in GENDERS else GENDERS.index(UNKNOWN)


def organisers_title(organisers_titles: dict | None, language: str, gender: str) -> str:
    """The title organisers set for a body's members in ``language`` (Body.titles,
    {language: [woman, man, not given]}), agreeing with ``gender``; "" when unset."""
    own = (organisers_titles or {}).get(language)
    if not own or len(own) != len(GENDERS):
        return ""
    return own[_index(gender)] or ""


def title_in(language: str, kind: str, gender: str, organisers_titles: dict | None = None) -> str:
    """The title in ``language`` for a member of a body of ``kind``: organisers' own
    for this body when set, else the usual one; agreeing with ``gender``, neutral or
    empty when it is not given."""
    own = organisers_title(organisers_titles, language, gender)
    if own:
        return own
    return TITLES.get(language, TITLES["en"])[_kind(kind)][_index(gender)]


def salutation_in(language: str, kind: str, gender: str, name: str) -> str:
    """The salutation of a letter in ``language``, without closing punctuation:
    agreeing with the recipient's title and gender, or neutral with the full name."""
    if gender not in (FEMALE, MALE):
        return NEUTRAL_SALUTATIONS.get(language, NEUTRAL_SALUTATIONS["en"]).format(name=name)
    forms = SALUTATIONS.get(language, SALUTATIONS["en"])
    kind = _kind(kind)
    pair = forms.get(kind) or forms[_MEMBER]
    return pair[_index(gender)].format(name=name)
