"""Random but believable details of one report: when, what, answers to the service's questions.

Everything takes a `random.Random` so the same seed gives the same city.
"""

from datetime import timedelta

from civicdesk.cases.models import Datatype

from .catalogue import SERVICES

SERVICES_BY_CODE = {spec["code"]: spec for spec in SERVICES}

# Month multipliers (January first): snow in winter, potholes after the thaw, parks in summer...
SEASONS = {
    "snow-ice": (4, 4, 2, 0.3, 0, 0, 0, 0, 0, 0, 0.3, 2.5),
    "no-heat": (2.2, 2, 1.5, 0.8, 0.2, 0.1, 0.1, 0.1, 0.3, 1.2, 2, 2.3),
    "pothole": (1.6, 2, 2.2, 1.8, 1.2, 0.8, 0.7, 0.7, 0.7, 0.8, 0.9, 1.2),
    "water-main": (1.8, 2, 1.5, 1, 0.7, 0.7, 0.7, 0.7, 0.7, 0.8, 1.1, 1.6),
    "fallen-tree": (0.8, 0.8, 1, 1, 1, 1.3, 1.5, 1.4, 1.2, 1.4, 1.2, 0.9),
    "storm-drain": (0.8, 0.8, 1.2, 1.2, 1, 1, 1.2, 1.2, 1.3, 1.8, 1.8, 1),
    "park-maintenance": (0.3, 0.3, 0.6, 1, 1.5, 1.8, 2, 2, 1.5, 1, 0.6, 0.3),
    "playground": (0.3, 0.3, 0.6, 1, 1.5, 1.8, 2, 2, 1.5, 1, 0.5, 0.3),
    "tree-pruning": (0.5, 0.5, 0.8, 1, 1.4, 1.6, 1.6, 1.5, 1.2, 1, 0.7, 0.5),
    "tree-planting": (0.2, 0.3, 1, 2, 1.5, 0.6, 0.4, 0.4, 1.2, 1.8, 0.8, 0.2),
    "rodents": (0.6, 0.6, 0.8, 1, 1.3, 1.5, 1.6, 1.6, 1.3, 1, 0.8, 0.6),
    "barking-dog": (0.6, 0.6, 0.8, 1, 1.2, 1.5, 1.6, 1.5, 1.2, 1, 0.7, 0.6),
    "construction-hours": (0.6, 0.6, 0.9, 1.1, 1.3, 1.4, 1.4, 1.4, 1.3, 1.1, 0.9, 0.7),
    "bulk-pickup": (0.9, 0.9, 1, 1.1, 1.3, 1.5, 1.5, 1.8, 1.7, 1.2, 1, 0.9),
    "illegal-dumping": (0.8, 0.8, 1, 1.1, 1.2, 1.2, 1.2, 1.3, 1.3, 1.1, 0.9, 0.8),
}
# Monday first: people report most at the start of the week.
WEEKDAYS = (1.3, 1.2, 1.15, 1.1, 1.0, 0.65, 0.55)
# Local hour of day 0..23: the morning commute, lunch and after work.
HOURS = (0.15, 0.1, 0.08, 0.08, 0.1, 0.25, 0.6, 1.2, 1.8, 2.0, 1.9, 1.7,
         1.6, 1.7, 1.7, 1.6, 1.5, 1.4, 1.2, 1.0, 0.8, 0.6, 0.4, 0.25)  # fmt: skip
CHANNELS = {
    "web": 40, "phone": 24, "email": 7, "sms": 6, "voice": 4, "social": 5, "api": 11, "walk_in": 3,
}  # fmt: skip
FOLLOW_UPS = (
    " Please fix it soon.",
    " This is the second time I report it.",
    " It has been like this for a while.",
    " Thank you!",
    "",
    "",
    "",
)
FOLLOW_UPS_ES = (" Por favor arréglenlo pronto.", " ¡Gracias!", "", "")


def season(code, month):
    return SEASONS.get(code, (1,) * 12)[month - 1]


def service_weights(specs, month):
    return [spec["weight"] * season(spec["code"], month) for spec in specs]


def description(rng, spec, language):
    samples = (spec.get("samples_es") if language == "es" else None) or spec.get("samples") or [""]
    follow = FOLLOW_UPS_ES if language == "es" else FOLLOW_UPS
    return (rng.choice(samples) + rng.choice(follow)).strip()


def questions_of(service):
    """A service's questions as plain dicts, with the catalogue's sample answers where it has them."""
    known = {q["code"]: q for q in SERVICES_BY_CODE.get(service.code, {}).get("questions", [])}
    return [
        {
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "values": a.values,
            "sample": known.get(a.code, {}).get("sample"),
        }
        for a in service.attributes.all()
    ]


def answers(rng, questions, when):
    """Answers a resident might give: required ones always, optional ones two times in three."""
    result = {}
    for question in questions:
        if question["required"] or rng.random() < 0.65:
            result[question["code"]] = answer(rng, question, when)
    return result


def answer(rng, question, when):
    kind, sample = question["datatype"], question.get("sample")
    keys = [v["key"] for v in question.get("values") or []]
    if kind == Datatype.SINGLE and keys:
        return rng.choice(keys)
    if kind == Datatype.MULTI and keys:
        return rng.sample(keys, rng.randint(1, min(2, len(keys))))
    if kind == Datatype.NUMBER:
        low, high = sample or (1, 10)
        return rng.randint(low, high)
    if kind == Datatype.DATETIME:
        return (
            (when - timedelta(minutes=rng.randint(20, 36 * 60))).replace(second=0, microsecond=0).isoformat()
        )
    return rng.choice(sample) if sample else "See the description."
