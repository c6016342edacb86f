"""Addresses as text, taken apart the same way for the stored points and for what people type.

Pure Python, no database. A street name becomes a `Street`: its core words (accents, case and
punctuation gone, "Third" and "3rd" both "3", "de la" dropped), its type in one canonical spelling
("Street", "St.", "Calle" and "C/" all "st"; "Avenue", "Ave" and "Avenida" all "ave") and its
directional ("North", "N", "Norte" all "n"). `Street.key` is what a point stores and the index
holds, so "N Main Street" in the file and "main st north" typed both find "n main st".

`parse(text)` reads a query: a house number before the street (English) or after it (Spanish,
"número 12"), a unit ("Apt 4", "#4", "Unit 4B", "piso 3"), trailing city or postcode, or two
streets that meet ("Main St and 3rd", "Main & 3rd", "corner of ...", "esquina de X y Y").
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA


def _words(text):
    return text.split()


TYPES = {
    "st": "street st str strt calle c cl cll",
    "ave": "avenue ave av avn aven avenu avenida avda avd",
    "rd": "road rd",
    "blvd": "boulevard blvd boul bulevar blv",
    "dr": "drive dr drv",
    "ln": "lane ln",
    "pl": "place pl",
    "ct": "court ct crt",
    "sq": "square sq",
    "plz": "plaza plz pza plza",
    "hwy": "highway hwy carretera ctra",
    "pkwy": "parkway pkwy pky",
    "ter": "terrace ter terr",
    "cir": "circle cir",
    "way": "way",
    "row": "row",
    "aly": "alley aly callejon",
    "trl": "trail trl",
    "expy": "expressway expy",
    "cres": "crescent cres",
    "loop": "loop",
    "paseo": "paseo pso",
    "camino": "camino cam cno",
    "ronda": "ronda rda",
    "trav": "travesia trav",
    "pasaje": "pasaje psje",
    "gta": "glorieta gta",
}
TYPE_OF = {word: kind for kind, words in TYPES.items() for word in words.split()}
# Full type words long enough that one slip ("Stret", "Avenu") cannot be another word.
LONG_TYPES = {word: kind for word, kind in TYPE_OF.items() if len(word) >= 5}
# Spanish names put the type first ("Calle Mayor"); so may "Avenue of the Americas".
LEADING_TYPES = frozenset(
    _words(
        "calle c cl cll avenida avda avd av avenue paseo pso plaza pza plza camino cam cno carretera ctra "
        "ronda rda travesia trav pasaje psje glorieta gta bulevar callejon"
    )
)
DIRECTIONS = {
    "n": "north n norte",
    "s": "south s sur",
    "e": "east e este",
    "w": "west w oeste",
    "ne": "northeast ne noreste",
    "nw": "northwest nw noroeste",
    "se": "southeast se sureste",
    "sw": "southwest sw suroeste",
}
DIRECTION_OF = {word: short for short, words in DIRECTIONS.items() for word in words.split()}
ORDINAL_WORDS = _words(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
SPANISH_ORDINALS = _words("primer segund tercer cuart quint sext septim octav noven decim")
ORDINALS = {word: str(n) for n, word in enumerate(ORDINAL_WORDS, start=1)}
ORDINALS |= {f"{stem}{end}": str(n) for n, stem in enumerate(SPANISH_ORDINALS, 1) for end in ("a", "o", "")}
ORDINAL_NUMBER = re.compile(r"^(\d+)(?:st|nd|rd|th|d|a|o|ra|ro|er|era|do|da|to|ta|mo|ma|vo|va|no|na)$")
FILLER = frozenset(_words("de del la las los el of the"))
UNIT_WORDS = frozenset(
    _words(
        "apt apartment unit suite ste fl floor rm room # piso puerta pta depto dpto departamento apto "
        "apartamento local oficina"
    )
)
FLOOR_WORDS = frozenset(_words("bajo atico entlo izq izda izquierda dcha der derecha centro"))
NUMBER_MARKS = frozenset(_words("no num numero nro n"))
HOUSE = re.compile(r"^\d+[a-z]?(?:-\d+[a-z]?)?$")
TOKEN = re.compile(r"\d+[a-z]*(?:-\d+[a-z]*)?|[a-z]+|[#&/@]")
CORNER = re.compile(
    r"^(?:(?:at|on)\s+)?(?:the\s+)?(?:corner|intersection|junction)\s+(?:of\s+)?"
    r"|^(?:en\s+)?(?:la\s+)?(?:esquina|esq|cruce|interseccion)\s+(?:de\s+|con\s+|entre\s+)?"
)
CROSSING = re.compile(r"\s+(?:and|y|at|con|esquina(?:\s+con)?|esq)\s+|\s*[&@/]\s*")
NUMERO = re.compile(r"\bn\.\s*o\b")  # "n.º", once folded
POSTCODE = re.compile(r"^\d{5}(?:-\d{4})?$")


def fold(text):
    """Lower case, accents and the ordinal indicators (º, ª) folded to plain letters."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def tokens(text):
    text = NUMERO.sub("no", fold(text)).replace("c/", "calle ")
    return TOKEN.findall(text)


@dataclass(frozen=True)
class Street:
    core: str  # "main", "3", "oak hill", "mayor"
    kind: str = ""  # canonical type: "st", "ave"... or "" when none was given
    direction: str = ""  # "n", "sw"... or ""

    @property
    def key(self):
        return " ".join(part for part in (self.direction, self.core, self.kind) if part)


def type_of(word):
    """The canonical type of a street-type word, allowing one typo in a long one; "" for none."""
    if word in TYPE_OF:
        return TYPE_OF[word]
    if len(word) < 5 or word[0].isdigit():
        return ""
    found = process.extractOne(word, list(LONG_TYPES), scorer=OSA.distance, score_cutoff=1)
    return LONG_TYPES[found[0]] if found else ""


def _core_word(word):
    if word in ORDINALS:
        return ORDINALS[word]
    number = ORDINAL_NUMBER.match(word)
    return number.group(1) if number else word


def street_of(words):
    """A `Street` from its words; the rest after the type (a city, a state) is returned too."""
    words = [w for w in words if w not in "#&/@"]
    kind, rest = "", []
    if len(words) > 1 and words[0] in LEADING_TYPES:
        kind, words = TYPE_OF[words[0]], words[1:]
    else:
        # The last type word that is not the first word ("Court St"): what follows it is not the street.
        for i in range(len(words) - 1, 0, -1):
            if kind := type_of(words[i]):
                words, rest = words[:i], words[i + 1 :]
                break
    direction = ""
    if rest and rest[0] in DIRECTION_OF:
        direction, rest = DIRECTION_OF[rest[0]], rest[1:]
    if len(words) > 1 and words[0] in DIRECTION_OF:
        direction, words = DIRECTION_OF[words[0]], words[1:]
    elif len(words) > 1 and words[-1] in DIRECTION_OF:
        direction, words = DIRECTION_OF[words[-1]], words[:-1]
    core = [_core_word(w) for w in words if w not in FILLER] or [_core_word(w) for w in words]
    return Street(" ".join(core), kind, direction), rest


@lru_cache(maxsize=65536)
def street_key(name):
    """The stored form of a street name from an address file ("" when it has no words)."""
    street, rest = street_of(tokens(name))
    return Street(" ".join(filter(None, (street.core, *rest))), street.kind, street.direction).key


def house_value(number):
    """The leading integer of a house number ("12B" -> 12, "12-14" -> 12), None without one."""
    digits = re.match(r"\d+", number.strip())
    return int(digits.group()) if digits and len(digits.group()) < 10 else None


def clean_number(number):
    return re.sub(r"\s+", "", number).upper()


@dataclass(frozen=True)
class Query:
    street: Street | None
    number: str = ""  # as typed, normalised ("12B")
    unit: str = ""
    cross: Street | None = None  # the other street of an intersection
    city: str = ""  # folded words after the street: a city, a neighbourhood, a state
    postcode: str = ""


def parse(text):
    """A `Query`, or None when the text names no street."""
    text = CORNER.sub("", fold(text).strip())
    first, *segments = [s.strip() for s in text.split(",")]
    parts = [p for p in CROSSING.split(first.replace("c/", "calle ")) if p.strip()]
    extra = _segments(segments)
    if len(parts) == 2:
        one, two = (_street_only(p) for p in parts)
        if one is None or two is None:
            return None
        return Query(street=one, cross=two, city=extra["city"], postcode=extra["postcode"])
    words = tokens(first)
    words, unit = _take_unit(words)
    words, number, after = _take_number(words)
    floor, town = _after_number(after)
    street, rest = street_of(words)
    if not street.core:
        return None
    city = " ".join(filter(None, (" ".join(rest), town, extra["city"])))
    number = number or extra["number"]
    return Query(street, clean_number(number), unit or floor or extra["unit"], None, city, extra["postcode"])


def _street_only(text):
    words, _unit = _take_unit(tokens(text))
    if words and HOUSE.match(words[0]) and len(words) > 1:
        words = words[1:]  # "12 Main St and 3rd": the corner, not number 12
    street, _rest = street_of(words)
    return street if street.core else None


def _segments(segments):
    """What follows the first comma: a number ("Calle Mayor, 12"), a unit, a postcode, a city."""
    found = {"number": "", "unit": "", "city": "", "postcode": ""}
    for segment in segments:
        words = tokens(segment)
        if not words:
            continue
        words, unit = _take_unit(words)
        found["unit"] = found["unit"] or unit
        postcodes = [w for w in words if POSTCODE.match(w)]
        found["postcode"] = found["postcode"] or (postcodes[0] if postcodes else "")
        words = [w for w in words if not POSTCODE.match(w)]
        if len(words) == 2 and words[0] in NUMBER_MARKS:
            words = words[1:]  # "Calle Mayor, número 12"
        if len(words) == 1 and HOUSE.match(words[0]) and not found["number"]:
            found["number"] = words[0]
        elif words and not found["city"]:
            found["city"] = " ".join(words)
    return found


def _take_unit(words):
    """Remove "apt 4" / "#4" / "piso 3 puerta b" and return the unit ("4", "3 B")."""
    kept, unit, i = [], [], 0
    while i < len(words):
        if words[i] in UNIT_WORDS and i + 1 < len(words) and words[i + 1] not in UNIT_WORDS:
            unit.append(words[i + 1])
            i += 2
            continue
        kept.append(words[i])
        i += 1
    return kept, " ".join(unit).upper()


def _take_number(words):
    """(street words, house number, what followed the number) ("12 Main St", "número 12",
    "Calle Mayor 12 2º B": the number before or after the street)."""
    for i, word in enumerate(words[:-1]):
        if word in NUMBER_MARKS and HOUSE.match(words[i + 1]):
            if i == 0:  # "número 12 Calle Mayor"
                return words[2:], words[1], []
            return words[:i], words[i + 1], words[i + 2 :]
    if len(words) > 1 and HOUSE.match(words[0]):
        return words[1:], words[0], []
    for i in range(1, len(words)):
        if HOUSE.match(words[i]):
            street, _rest = street_of(words[:i])
            if street.core and street.core not in TYPE_OF:  # "Calle 8 12": the street is named 8
                return words[:i], words[i], words[i + 1 :]
    return words, "", []


def _after_number(words):
    """(unit, town) from what follows a number written after its street: "2º B", "bajo izq" are a
    floor and door; longer words are a town ("Calle Mayor 12 Madrid")."""
    unit = [w for w in words if len(w) <= 3 or w in FLOOR_WORDS]
    return " ".join(unit).upper(), " ".join(w for w in words if w not in unit)
