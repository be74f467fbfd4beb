"""What a digest says, in the representative's language: each letter's entry (the
supporter's name, place and own words, as the preview shows it), and the digest
itself: a few lines on what it is, the text its letters share, once, and the
entries (letters.digests gathers them).

Like the closing line of a single letter (letters.sent_through), the sentences
are here in every letter language, not in the interface's catalogues: a digest
is read by an office, never by the supporter who sends it. No sentence states a
count next to a noun that would need a plural form, and none needs the writer's
grammatical gender.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign.letters.sent_through import SEPARATOR, site_address

# {place}: the constituency or the country, as the letter form's residence gives it.
CONSTITUENT = {
    "be": "Жыве ў вашай выбарчай акрузе ({place}).",
    "cs": "Bydliště ve vašem volebním obvodu ({place}).",
    "de": "Wohnt in Ihrem Wahlkreis ({place}).",
    "en": "Lives in your constituency ({place}).",
    "es": "Vive en su circunscripción ({place}).",
    "et": "Elab teie valimisringkonnas ({place}).",
    "fr": "Habite dans votre circonscription ({place}).",
    "it": "Vive nel suo collegio ({place}).",
    "lt": "Gyvena jūsų apygardoje ({place}).",
    "lv": "Dzīvo jūsu vēlēšanu apgabalā ({place}).",
    "nl": "Woont in uw kiesdistrict ({place}).",
    "pl": "Mieszka w Pana/Pani okręgu wyborczym ({place}).",
    "ru": "Живёт в вашем избирательном округе ({place}).",
    "sv": "Bor i din valkrets ({place}).",
    "uk": "Живе у вашому виборчому окрузі ({place}).",
}
RESIDENT = {
    "be": "Жыве ў краіне, якую вы прадстаўляеце ({place}).",
    "cs": "Bydliště v zemi, kterou zastupujete ({place}).",
    "de": "Wohnt in dem Land, das Sie vertreten ({place}).",
    "en": "Lives in the country you represent ({place}).",
    "es": "Vive en el país que usted representa ({place}).",
    "et": "Elab riigis, mida te esindate ({place}).",
    "fr": "Habite dans le pays que vous représentez ({place}).",
    "it": "Vive nel paese che lei rappresenta ({place}).",
    "lt": "Gyvena šalyje, kuriai atstovaujate ({place}).",
    "lv": "Dzīvo valstī, kuru jūs pārstāvat ({place}).",
    "nl": "Woont in het land dat u vertegenwoordigt ({place}).",
    "pl": "Mieszka w kraju, który Pan/Pani reprezentuje ({place}).",
    "ru": "Живёт в стране, которую вы представляете ({place}).",
    "sv": "Bor i det land du företräder ({place}).",
    "uk": "Живе в країні, яку ви представляєте ({place}).",
}
# The subject: {subject} the letters' own, {count} how many the digest carries.
SUBJECT = {
    "be": "{subject} (лістоў: {count})",
    "cs": "{subject} (počet dopisů: {count})",
    "de": "{subject} (Briefe: {count})",
    "en": "{subject} (letters: {count})",
    "es": "{subject} (cartas: {count})",
    "et": "{subject} (kirju: {count})",
    "fr": "{subject} (lettres : {count})",
    "it": "{subject} (lettere: {count})",
    "lt": "{subject} (laiškų: {count})",
    "lv": "{subject} (vēstuļu skaits: {count})",
    "nl": "{subject} (brieven: {count})",
    "pl": "{subject} (liczba listów: {count})",
    "ru": "{subject} (писем: {count})",
    "sv": "{subject} (brev: {count})",
    "uk": "{subject} (листів: {count})",
}
# {title} the campaign, {organiser} " (name, contact)" or "", {count} letters.
INTRO = {
    "be": (
        "У гэтым паведамленні сабраны лісты, якія людзі адправілі вам праз кампанію "
        "«{title}»{organiser}, каб ваш офіс атрымліваў адно паведамленне ў дзень. "
        "Колькасць лістоў: {count}. Кожны з аўтараў ухваліў тэкст ніжэй і пацвердзіў свой "
        "адрас электроннай пошты; пасля тэксту ідуць іх імёны, месца жыхарства, калі яны "
        "яго назвалі, і іх уласныя словы."
    ),
    "cs": (
        "Tato zpráva spojuje dopisy, které vám lidé poslali prostřednictvím kampaně "
        "„{title}“{organiser}, aby vaše kancelář dostávala jednu zprávu denně. Počet "
        "dopisů: {count}. Každý z pisatelů schválil níže uvedený text a ověřil svou "
        "e-mailovou adresu; za textem následují jejich jména, bydliště, pokud je uvedli, "
        "a jejich vlastní slova."
    ),
    "de": (
        "Diese Nachricht fasst die Briefe zusammen, die Ihnen Menschen über die Kampagne "
        "„{title}“{organiser} geschrieben haben, damit Ihr Büro eine Nachricht am Tag "
        "erhält. Anzahl der Briefe: {count}. Alle haben den folgenden Text gebilligt und "
        "ihre E-Mail-Adresse bestätigt; nach dem Text folgen ihre Namen, ihr Wohnort, "
        "sofern angegeben, und ihre eigenen Worte."
    ),
    "en": (
        "This message brings together the letters people wrote to you through the "
        "campaign “{title}”{organiser}, so that your office receives one message a day. "
        "Number of letters: {count}. Each writer approved the text below and confirmed "
        "their email address; after the text come their names, where they live if they "
        "said so, and their own words."
    ),
    "es": (
        "Este mensaje reúne las cartas que le han escrito personas a través de la "
        "campaña «{title}»{organiser}, para que su oficina reciba un solo mensaje al día. "
        "Número de cartas: {count}. Cada remitente aprobó el texto siguiente y confirmó "
        "su dirección de correo electrónico; tras el texto figuran sus nombres, dónde "
        "viven si lo indicaron y sus propias palabras."
    ),
    "et": (
        "See sõnum koondab kirjad, mille inimesed on teile kampaania „{title}“"
        "{organiser} kaudu kirjutanud, et teie büroo saaks üheainsa sõnumi päevas. "
        "Kirjade arv: {count}. Iga kirjutaja kiitis allpool oleva teksti heaks ja "
        "kinnitas oma e-posti aadressi; teksti järel on nende nimed, elukoht, kui nad "
        "selle märkisid, ja nende oma sõnad."
    ),
    "fr": (
        "Ce message rassemble les lettres que des personnes vous ont écrites par la "
        "campagne « {title} »{organiser}, afin que votre bureau reçoive un seul message "
        "par jour. Nombre de lettres : {count}. Chaque auteur a approuvé le texte "
        "ci-dessous et confirmé son adresse électronique ; après le texte viennent les "
        "noms, le lieu de résidence quand il a été indiqué, et leurs propres mots."
    ),
    "it": (
        "Questo messaggio riunisce le lettere che alcune persone le hanno scritto "
        "attraverso la campagna «{title}»{organiser}, perché il suo ufficio riceva un "
        "solo messaggio al giorno. Numero di lettere: {count}. Ogni mittente ha approvato "
        "il testo che segue e confermato il proprio indirizzo email; dopo il testo "
        "seguono i nomi, il luogo di residenza se indicato e le loro parole."
    ),
    "lt": (
        "Šiame laiške surinkti laiškai, kuriuos žmonės jums parašė per kampaniją "
        "„{title}“{organiser}, kad jūsų biuras per dieną gautų vieną laišką. Laiškų "
        "skaičius: {count}. Kiekvienas rašęs asmuo pritarė toliau pateiktam tekstui ir "
        "patvirtino savo el. pašto adresą; po teksto nurodyti jų vardai, gyvenamoji "
        "vieta, jei ją nurodė, ir jų pačių žodžiai."
    ),
    "lv": (
        "Šajā ziņojumā apkopotas vēstules, ko cilvēki jums rakstījuši ar kampaņas "
        "“{title}”{organiser} starpniecību, lai jūsu birojs saņemtu vienu ziņojumu dienā. "
        "Vēstuļu skaits: {count}. Katrs rakstītājs ir apstiprinājis tālāk redzamo tekstu "
        "un savu e-pasta adresi; pēc teksta ir viņu vārdi, dzīvesvieta, ja tā norādīta, "
        "un viņu pašu vārdi."
    ),
    "nl": (
        "Dit bericht bundelt de brieven die mensen u schreven via de campagne "
        "‘{title}’{organiser}, zodat uw kantoor één bericht per dag ontvangt. Aantal "
        "brieven: {count}. Iedere schrijver heeft de onderstaande tekst goedgekeurd en "
        "het eigen e-mailadres bevestigd; na de tekst volgen de namen, de woonplaats als "
        "die is opgegeven, en hun eigen woorden."
    ),
    "pl": (
        "Ta wiadomość zbiera listy, które ludzie napisali do Pana/Pani za pośrednictwem "
        "kampanii „{title}”{organiser}, aby biuro otrzymywało jedną wiadomość dziennie. "
        "Liczba listów: {count}. Każda z tych osób zatwierdziła poniższy tekst i "
        "potwierdziła swój adres e-mail; po tekście podane są ich imiona i nazwiska, "
        "miejsce zamieszkania, jeśli je podały, oraz ich własne słowa."
    ),
    "ru": (
        "В этом сообщении собраны письма, которые люди отправили вам через кампанию "
        "«{title}»{organiser}, чтобы ваш офис получал одно сообщение в день. Писем: "
        "{count}. Каждый из авторов одобрил текст ниже и подтвердил свой адрес "
        "электронной почты; после текста идут их имена, место жительства, если они его "
        "указали, и их собственные слова."
    ),
    "sv": (
        "Det här meddelandet samlar de brev som människor har skrivit till dig via "
        "kampanjen ”{title}”{organiser}, så att ditt kontor får ett meddelande om dagen. "
        "Antal brev: {count}. Varje avsändare har godkänt texten nedan och bekräftat sin "
        "e-postadress; efter texten följer deras namn, var de bor om de har angett det, "
        "och deras egna ord."
    ),
    "uk": (
        "У цьому повідомленні зібрано листи, які люди надіслали вам через кампанію "
        "«{title}»{organiser}, щоб ваш офіс отримував одне повідомлення на день. Листів: "
        "{count}. Кожен з авторів схвалив текст нижче й підтвердив свою адресу "
        "електронної пошти; після тексту йдуть їхні імена, місце проживання, якщо вони "
        "його вказали, і їхні власні слова."
    ),
}
REPLY_NOTE = {
    "be": (
        "Каб адказаць ім, адкажыце на гэта паведамленне: ваш адказ перададуць кожнаму з "
        "іх без цытаты гэтага паведамлення і без імёнаў астатніх."
    ),
    "cs": (
        "Chcete-li jim odpovědět, odpovězte na tuto zprávu: vaši odpověď předáme každému "
        "z nich, bez citace této zprávy a bez jmen ostatních."
    ),
    "de": (
        "Um ihnen zu antworten, antworten Sie auf diese Nachricht: Ihre Antwort wird an "
        "alle weitergegeben, ohne das Zitat dieser Nachricht und ohne die Namen der "
        "anderen."
    ),
    "en": (
        "To answer them, reply to this message: your reply is passed on to each of them, "
        "without the quotation of this message and without the names of the others."
    ),
    "es": (
        "Para responderles, responda a este mensaje: su respuesta se transmitirá a cada "
        "una de estas personas, sin la cita de este mensaje y sin los nombres de las demás."
    ),
    "et": (
        "Neile vastamiseks vastake sellele sõnumile: teie vastus edastatakse igaühele "
        "neist ilma selle sõnumi tsitaadita ja teiste nimedeta."
    ),
    "fr": (
        "Pour leur répondre, répondez à ce message : votre réponse est transmise à chacune "
        "de ces personnes, sans la citation de ce message et sans le nom des autres."
    ),
    "it": (
        "Per rispondere, risponda a questo messaggio: la sua risposta viene inoltrata a "
        "ciascuna di queste persone, senza la citazione di questo messaggio e senza i "
        "nomi degli altri."
    ),
    "lt": (
        "Norėdami jiems atsakyti, atsakykite į šį laišką: jūsų atsakymas bus perduotas "
        "kiekvienam iš jų be šio laiško citatos ir be kitų asmenų vardų."
    ),
    "lv": (
        "Lai viņiem atbildētu, atbildiet uz šo ziņojumu: jūsu atbilde tiks nodota katram "
        "no viņiem bez šī ziņojuma citāta un bez citu cilvēku vārdiem."
    ),
    "nl": (
        "Om hen te antwoorden, beantwoordt u dit bericht: uw antwoord wordt aan ieder van "
        "hen doorgestuurd, zonder het citaat van dit bericht en zonder de namen van de "
        "anderen."
    ),
    "pl": (
        "Aby im odpowiedzieć, wystarczy odpowiedzieć na tę wiadomość: odpowiedź zostanie "
        "przekazana każdej z tych osób, bez cytatu tej wiadomości i bez nazwisk pozostałych."
    ),
    "ru": (
        "Чтобы ответить им, ответьте на это сообщение: ваш ответ передадут каждому из них "
        "без цитаты этого сообщения и без имён остальных."
    ),
    "sv": (
        "Svara på det här meddelandet för att svara dem: ditt svar förmedlas till var och "
        "en av dem, utan citatet av detta meddelande och utan de andras namn."
    ),
    "uk": (
        "Щоб відповісти їм, дайте відповідь на це повідомлення: вашу відповідь передадуть "
        "кожному з них без цитати цього повідомлення і без імен інших."
    ),
}
# Above the entries that follow a text.
SIGNED = {
    "be": "Гэты ліст адправілі:",
    "cs": "Tento dopis poslali:",
    "de": "Diesen Brief haben gesendet:",
    "en": "This letter was sent by:",
    "es": "Enviaron esta carta:",
    "et": "Selle kirja saatsid:",
    "fr": "Cette lettre a été envoyée par :",
    "it": "Questa lettera è stata inviata da:",
    "lt": "Šį laišką išsiuntė:",
    "lv": "Šo vēstuli nosūtīja:",
    "nl": "Deze brief werd verzonden door:",
    "pl": "Ten list wysłały następujące osoby:",
    "ru": "Это письмо отправили:",
    "sv": "Det här brevet skickades av:",
    "uk": "Цей лист надіслали:",
}
# The digest's last line; {site} and {organiser} as in sent_through.LINES.
CLOSING = {
    "be": (
        "Адпраўлена праз {site}{organiser} ад імя людзей, названых вышэй. Адрас "
        "электроннай пошты кожнага з іх пацверджаны."
    ),
    "cs": (
        "Odesláno prostřednictvím {site}{organiser} jménem výše uvedených osob. "
        "E-mailová adresa každé z nich byla ověřena."
    ),
    "de": (
        "Gesendet über {site}{organiser} im Namen der oben genannten Personen; die "
        "E-Mail-Adresse jeder von ihnen wurde bestätigt."
    ),
    "en": (
        "Sent through {site}{organiser} on behalf of the people named above, each of whom "
        "confirmed their email address."
    ),
    "es": (
        "Enviado a través de {site}{organiser} en nombre de las personas mencionadas, "
        "cuya dirección de correo electrónico ha sido confirmada en cada caso."
    ),
    "et": (
        "Saadetud {site}{organiser} kaudu eespool nimetatud inimeste nimel; igaühe "
        "e-posti aadress on kinnitatud."
    ),
    "fr": (
        "Envoyé via {site}{organiser} au nom des personnes nommées ci-dessus, dont "
        "l'adresse électronique a chaque fois été confirmée."
    ),
    "it": (
        "Inviato tramite {site}{organiser} a nome delle persone indicate sopra, il cui "
        "indirizzo email è stato confermato per ciascuna."
    ),
    "lt": (
        "Išsiųsta per {site}{organiser} aukščiau nurodytų asmenų vardu. Kiekvieno iš jų "
        "el. pašto adresas patvirtintas."
    ),
    "lv": (
        "Nosūtīts ar {site}{organiser} starpniecību iepriekš minēto personu vārdā. Katras "
        "no tām e-pasta adrese ir apstiprināta."
    ),
    "nl": (
        "Verzonden via {site}{organiser} namens de hierboven genoemde personen, van wie "
        "elk het e-mailadres heeft bevestigd."
    ),
    "pl": (
        "Wysłano za pośrednictwem {site}{organiser} w imieniu wymienionych wyżej osób. "
        "Adres e-mail każdej z nich został potwierdzony."
    ),
    "ru": (
        "Отправлено через {site}{organiser} от имени людей, названных выше. Адрес "
        "электронной почты каждого из них подтверждён."
    ),
    "sv": (
        "Skickat via {site}{organiser} på uppdrag av personerna ovan, som var och en har "
        "bekräftat sin e-postadress."
    ),
    "uk": (
        "Надіслано через {site}{organiser} від імені людей, названих вище. Адресу "
        "електронної пошти кожного з них підтверджено."
    ),
}
PHRASEBOOKS = (CONSTITUENT, RESIDENT, SUBJECT, INTRO, REPLY_NOTE, SIGNED, CLOSING)
INDENT = "   "
BULLET = " • "  # three characters, as INDENT: the entry's lines align


def _in(phrases: dict[str, str], language: str) -> str:
    return phrases.get(language) or phrases["en"]


def entry_text(supporter: dict, language: str) -> str:
    """One letter's entry in a digest, from the supporter's part of its context
    (compose.supporter_context): the name and the place they gave, the residence
    they claimed (nothing when they claimed none), their own words, each line
    indented under the name."""
    name = " ".join((supporter.get("name") or "").split())
    city = " ".join((supporter.get("city") or "").split())
    lines = [BULLET + (f"{name}, {city}" if city else name)]
    place = supporter.get("place") or ""
    if supporter.get("constituent"):
        lines.append(INDENT + _in(CONSTITUENT, language).format(place=place))
    elif supporter.get("resident"):
        lines.append(INDENT + _in(RESIDENT, language).format(place=place))
    words = (supporter.get("personal_paragraph") or "").strip()
    if words:
        lines.extend((INDENT + line).rstrip() for line in words.split("\n"))
    return "\n".join(lines)


@dataclass(frozen=True)
class Part:
    """A text shared by some of a digest's letters, with their entries."""

    subject: str
    text: str
    entries: tuple[str, ...]


def organiser_note(campaign) -> str:
    named = ", ".join(part for part in (campaign.organiser_name, campaign.organiser_email) if part)
    return f" ({named})" if named else ""


def digest_subject(parts: list[Part], language: str) -> str:
    count = sum(len(part.entries) for part in parts)
    return _in(SUBJECT, language).format(subject=parts[0].subject, count=count)


def digest_body(
    campaign, title: str, parts: list[Part], language: str, replies_passed_on: bool
) -> str:
    """The whole digest: what it is and (``replies_passed_on``: when replies are
    captured and forwarded, INBOUND_DOMAIN) how to answer, then each shared text
    once followed by the entries of the letters that carry it, then the closing
    line. Without reply capture a reply reaches the organisers, and the digest
    promises nothing about it."""
    count = sum(len(part.entries) for part in parts)
    organiser = organiser_note(campaign)
    blocks = [_in(INTRO, language).format(title=title, organiser=organiser, count=count)]
    if replies_passed_on:
        blocks.append(_in(REPLY_NOTE, language))
    rule = "─" * 40
    for part in parts:
        blocks.append(rule)
        blocks.append(part.text.strip())
        blocks.append(_in(SIGNED, language) + "\n\n" + "\n\n".join(part.entries))
    closing = _in(CLOSING, language).format(
        site=site_address() or "the campaign's site", organiser=organiser
    )
    return "\n\n".join(blocks) + f"\n\n{SEPARATOR}\n{closing}\n"
