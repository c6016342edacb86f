"""Riverton's demo logins (password `demo` for all) and the residents who write in.

The first six are the cast the guide and the tests use: alice, bob, carol, dave, erin, root.
Residents who report problems use addresses at example.org and fictional 555-01xx numbers.
"""

import unicodedata
from functools import cache

from civicdesk.accounts.models import Role

PASSWORD = "demo"  # noqa: S105 - a published demo password, refused nowhere near production

# email, full name, role, department codes, preferred language
ACCOUNTS = [
    ("alice@demo.test", "Alice Moreau", Role.RESIDENT, (), "en"),
    ("erin@demo.test", "Erin Walsh", Role.AGENT, (), "en"),
    ("bob@demo.test", "Bob Castillo", Role.STAFF, ("public-works",), "en"),
    ("carol@demo.test", "Carol Nguyen", Role.STAFF, ("parks",), "en"),
    ("dave@demo.test", "Dave Petrov", Role.SUPERVISOR, ("public-works",), "en"),
    ("root@demo.test", "Rita Okafor", Role.ADMIN, (), "en"),
    # more residents
    ("marco@demo.test", "Marco Ruiz", Role.RESIDENT, (), "es"),
    ("june@demo.test", "June Halloran", Role.RESIDENT, (), "en"),
    # the 311 contact centre
    ("gina@demo.test", "Gina Alvarez", Role.AGENT, (), "es"),
    ("omar@demo.test", "Omar Haddad", Role.AGENT, (), "en"),
    # departments: at least one supervisor and two field staff each
    ("frank@demo.test", "Frank Osei", Role.STAFF, ("public-works",), "en"),
    ("luz@demo.test", "Luz Herrera", Role.STAFF, ("public-works",), "es"),
    ("paula@demo.test", "Paula Lindqvist", Role.SUPERVISOR, ("parks",), "en"),
    ("tomas@demo.test", "Tomás Reyes", Role.STAFF, ("parks",), "es"),
    ("sofia@demo.test", "Sofia Marchetti", Role.SUPERVISOR, ("sanitation",), "en"),
    ("sam@demo.test", "Sam Whitaker", Role.STAFF, ("sanitation",), "en"),
    ("ana@demo.test", "Ana Lucía Paredes", Role.STAFF, ("sanitation",), "es"),
    ("victor@demo.test", "Victor Mensah", Role.SUPERVISOR, ("transportation",), "en"),
    ("tara@demo.test", "Tara Singh", Role.STAFF, ("transportation",), "en"),
    ("lee@demo.test", "Lee Chen", Role.STAFF, ("transportation",), "en"),
    ("wendy@demo.test", "Wendy Abara", Role.SUPERVISOR, ("water",), "en"),
    ("walt@demo.test", "Walt Kowalski", Role.STAFF, ("water",), "en"),
    ("rosa@demo.test", "Rosa Delgado", Role.STAFF, ("water",), "es"),
    ("kurt@demo.test", "Kurt Jansen", Role.SUPERVISOR, ("code-enforcement",), "en"),
    ("ines@demo.test", "Inés Navarro", Role.STAFF, ("code-enforcement",), "es"),
    ("raj@demo.test", "Raj Patel", Role.STAFF, ("code-enforcement",), "en"),
    ("nate@demo.test", "Nate Fischer", Role.SUPERVISOR, ("animal-services",), "en"),
    ("amy@demo.test", "Amy Brooks", Role.STAFF, ("animal-services",), "en"),
    ("diego@demo.test", "Diego Fuentes", Role.STAFF, ("animal-services",), "es"),
]
# The people the README lists as demo logins.
CAST = ("alice", "bob", "carol", "dave", "erin", "root")

FIRST_NAMES = (  # noqa: SIM905 - a list of words reads best as words
    "James Mary Robert Patricia Michael Jennifer William Linda David Elizabeth Richard Susan Joseph Jessica "
    "Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Margaret Paul Sandra Steven "
    "Ashley Kevin Kimberly Brian Emily George Donna Kenneth Michelle Aisha Wei Priya Kwame Mei Tariq Olga "
    "Siobhan Dmitri Fatima Hiroshi Amara Nikos Leila"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Jackson "
    "Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green Baker Adams "
    "Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner O'Brien Murphy Kim Nguyen Patel "
    "Cohen Rossi Okonkwo Novak Sullivan Fitzgerald Costa"
).split()
FIRST_NAMES_ES = (  # noqa: SIM905
    "José María Juan Guadalupe Luis Carmen Carlos Rosa Jorge Ana Miguel Sofía Pedro Lucía Ramón Elena "
    "Alejandro Isabel Fernando Teresa Javier Patricia Manuel Gabriela Ricardo Valentina"
).split()
LAST_NAMES_ES = (  # noqa: SIM905
    "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera Gómez "
    "Díaz Cruz Morales Reyes Gutiérrez Ortiz Ramos Vargas Castillo Jiménez Mendoza Rojas Medina"
).split()


def random_reporter(rng, language):
    """(name, email, phone) of someone who wrote in; parts may be empty, as in real intake."""
    if language == "es":
        first, last = rng.choice(FIRST_NAMES_ES), rng.choice(LAST_NAMES_ES)
    else:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = f"{_handle(first, last)}{rng.randint(1, 99)}@example.org" if rng.random() < 0.6 else ""
    phone = f"+1 617 555 01{rng.randint(0, 99):02d}" if rng.random() < 0.5 else ""
    return f"{first} {last}", email, phone


@cache
def _handle(first, last):
    """josé.garcía -> jose.garcia: e-mail addresses in plain ASCII."""
    plain = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
    return "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "."))
