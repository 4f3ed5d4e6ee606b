"""Whether a question about the city's own facts asks about another place ("Wer ist Bürgermeister von Köln?").

A city fact (mayor, inhabitants, town hall: content/city_facts.py) is true of one city only; asked about
another, the right answer is that the assistant knows only its own city, never its own mayor. A place is
a capitalised word after "von", "in", "aus", "für" or "bei", or the last word of "... hat Hamburg?", that
the content does not use (so "im Rathaus", "von Musterstadt" or "Einwohner von Musterstadt" are not
places elsewhere). Plain Python, no rasa_sdk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CITIES", "city_elsewhere", "content_words", "other_place"]

#: German cities of about 100,000 inhabitants and more, and the capitals of the neighbouring German-speaking
#: countries: a question about a service "in München" or "Standesamt Leipzig" is not about this city, whatever
#: its topic. Names that are also everyday German words are left out (Essen, Halle, Hamm, Gießen, Siegen).
CITIES: tuple[str, ...] = tuple(
    """
    Berlin Hamburg München Köln Frankfurt Stuttgart Düsseldorf Leipzig Dortmund Bremen Dresden Hannover
    Nürnberg Duisburg Bochum Wuppertal Bielefeld Bonn Münster Mannheim Karlsruhe Augsburg Wiesbaden
    Mönchengladbach Gelsenkirchen Aachen Braunschweig Kiel Chemnitz Magdeburg Freiburg Krefeld Mainz Lübeck
    Erfurt Oberhausen Rostock Kassel Hagen Potsdam Saarbrücken Ludwigshafen Mülheim Oldenburg Osnabrück
    Leverkusen Heidelberg Darmstadt Solingen Herne Neuss Regensburg Paderborn Ingolstadt Offenbach Fürth
    Würzburg Ulm Heilbronn Pforzheim Wolfsburg Göttingen Bottrop Reutlingen Koblenz Recklinghausen Bremerhaven
    Erlangen Remscheid Jena Trier Salzgitter Moers Hildesheim Gütersloh Cottbus Kaiserslautern Witten Schwerin
    Iserlohn Gera Zwickau Düren Esslingen Ratingen Hanau Flensburg Ludwigsburg Tübingen Konstanz Velbert Minden
    Neumünster Norderstedt Delmenhorst Wilhelmshaven Viersen Gladbeck Dorsten Detmold Marburg Lüneburg Bamberg
    Bayreuth Celle Landshut Aschaffenburg Dinslaken Neuwied Passau Kempten Rosenheim Stralsund Greifswald
    Wismar Weimar Dessau Wien Zürich Graz Salzburg Basel
    """.split()
)
_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_FOLDED_CITIES = {c.lower().translate(_FOLD): c for c in CITIES}  # "muenchen" -> "München"
_CITY = re.compile(r"\b(" + "|".join(sorted(_FOLDED_CITIES, key=len, reverse=True)) + r")\b")
# A move, a birth or a life here ties the other city to this one: "von Köln hierher gezogen", "Auto aus
# Hamburg ummelden", "hier geboren, wohne aber in Berlin" are questions for this city.
_TIES_HERE = re.compile(r"zieh|zog|umzug|wegzug|zuzug|ummeld|umgemeldet|umschreib|hierher|\bhier\b|bei euch|"
                        r"bei ihnen")

_WORD = re.compile(r"[a-zäöüß]+")
_AFTER_PREPOSITION = re.compile(r"\b(?:von|in|aus|für|bei)\s+([A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*)")
_LAST_AFTER_HAT = re.compile(r"\bhat\s+([A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*)\s*[?.!]*\s*$")


def content_words(topics: Mapping[str, Mapping[str, Any]], extra: Iterable[str] = ()) -> frozenset[str]:
    """Every word (lower case) of the topics' titles, keywords, phrasings and answers, and of ``extra``."""
    words: set[str] = set()
    for topic in topics.values():
        texts = [str(topic.get("title") or ""), str(topic.get("answer") or ""),
                 *(str(k) for k in topic.get("keywords") or ()), *(str(q) for q in topic.get("questions") or ())]
        for text in texts:
            words.update(_WORD.findall(text.lower()))
    for text in extra:
        words.update(_WORD.findall(text.lower()))
    return frozenset(words)


def other_place(text: str, known: frozenset[str]) -> str | None:
    """The first place ``text`` names that is not in ``known`` (content words, the city's names), or None."""
    for pattern in (_AFTER_PREPOSITION, _LAST_AFTER_HAT):
        for match in pattern.finditer(text):
            name = match.group(1)
            if not set(_WORD.findall(name.lower())) <= known:
                return name
    return None


def city_elsewhere(text: str, own_names: Iterable[str], known: frozenset[str] = frozenset()) -> str | None:
    """Another city that ``text`` asks about (CITIES, any spelling case), or None: also None when the text
    names this city (``own_names``) or ties the other one to it (a move, "hier"), and for names the
    content itself uses (``known``: content_words)."""
    folded = text.lower().translate(_FOLD)
    if any(name and name.lower().translate(_FOLD) in folded for name in own_names) or _TIES_HERE.search(folded):
        return None
    for match in _CITY.finditer(folded):
        city = _FOLDED_CITIES[match.group(1)]
        # content words keep their umlauts ("münchen"); a folded spelling ("muenchen") counts as well
        if city.lower() not in known and match.group(1) not in known:
            return city
    return None
