"""Customer records of two systems with a known truth, to measure entity resolution.

Each person is in the CRM, the web shop or both, written with the noise real systems have:
typos, nicknames, first and last name swapped, a missing or different e-mail, abbreviated
cities, a moved person's new city, a mistyped birth date, and duplicates within one system.
Dates are already ISO (normalised by the formatted zone). The same seed gives the same rows.
"""

from __future__ import annotations

import csv
import random
import string
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse

FIRST_NAMES = (  # noqa: SIM905 (a word list reads better as text)
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy Daniel Lisa "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily "
    "Andrew Donna Joshua Michelle Kenneth Dorothy Kevin Carol Brian Amanda George Melissa "
    "Edward Deborah Ronald Stephanie Timothy Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia "
    "Jacob Kathleen Gary Amy Nicholas Shirley Eric Angela Jonathan Helen Stephen Anna Larry "
    "Brenda Justin Pamela Scott Nicole Brandon Emma Benjamin Samantha Samuel Katherine "
    "Gregory Christine Frank Debra Alexander Rachel Raymond Catherine Patrick Carolyn Jack "
    "Janet Dennis Ruth Jerry Maria Tyler Heather Aaron Diane Jose Virginia Adam Julie Henry "
    "Joyce Nathan Victoria Douglas Olivia Zachary Kelly Peter Christina Kyle Lauren Walter "
    "Joan Ethan Evelyn Jeremy Judith Harold Megan Keith Cheryl Christian Andrea Roger Hannah "
    "Noah Martha Gerald Jacqueline Carl Frances Terry Gloria Sean Ann Austin Teresa Arthur "
    "Kathryn Lawrence Sara Jesse Janice Dylan Jean Bryan Alice Joe Madison Jordan Doris "
    "Billy Abigail Bruce Julia Albert Judy Willie Grace Gabriel Denise Logan Amber Alan "
    "Marilyn Juan Beverly Wayne Danielle Roy Theresa Ralph Sophia Randy Marie Eugene Diana"
).split()
NICKNAMES = {
    "James": "Jim", "John": "Jack", "Robert": "Bob", "Michael": "Mike", "William": "Bill",
    "Elizabeth": "Liz", "David": "Dave", "Richard": "Rick", "Joseph": "Joe", "Thomas": "Tom",
    "Charles": "Charlie", "Christopher": "Chris", "Daniel": "Dan", "Matthew": "Matt",
    "Anthony": "Tony", "Donald": "Don", "Steven": "Steve", "Andrew": "Andy", "Joshua": "Josh",
    "Kenneth": "Ken", "Jennifer": "Jen", "Patricia": "Pat", "Margaret": "Maggie",
    "Kimberly": "Kim", "Deborah": "Debbie", "Stephanie": "Steph", "Rebecca": "Becky",
    "Katherine": "Kate", "Samantha": "Sam", "Alexander": "Alex", "Benjamin": "Ben",
    "Nicholas": "Nick", "Jonathan": "Jon", "Gregory": "Greg", "Timothy": "Tim",
    "Jeffrey": "Jeff", "Catherine": "Cathy", "Victoria": "Vicky", "Zachary": "Zach",
    "Christina": "Tina", "Jacqueline": "Jackie", "Lawrence": "Larry", "Abigail": "Abby",
}  # fmt: skip
SURNAMES = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart "
    "Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed "
    "Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray "
    "Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales "
    "Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds "
    "Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington "
    "Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson "
    "Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer "
    "Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt "
    "Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn"
).split()
CITIES = {
    "New York": "NYC", "Los Angeles": "LA", "San Francisco": "SF", "Saint Louis": "St. Louis",
    "Fort Worth": "Ft. Worth", "Salt Lake City": "SLC", "Las Vegas": "Vegas",
    "Washington": "Washington DC", "Philadelphia": "Philly", "Saint Paul": "St. Paul",
    "Chicago": "Chicago", "Houston": "Houston", "Phoenix": "Phoenix", "San Antonio": "San Antonio",
    "San Diego": "San Diego", "Dallas": "Dallas", "Austin": "Austin", "Denver": "Denver",
    "Boston": "Boston", "Seattle": "Seattle", "Portland": "Portland", "Miami": "Miami",
    "Atlanta": "Atlanta", "Detroit": "Detroit", "Nashville": "Nashville",
}  # fmt: skip
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me")
CRM, SHOP = "crm_customers", "shop_customers"
# Each system names the columns its own way: entity column → the system's header.
HEADERS = {
    CRM: {"id": "customer_id", "first_name": "first_name", "last_name": "surname",
          "email": "email", "city": "town", "birth_date": "dob", "updated_at": "modified"},
    SHOP: {"id": "id", "first_name": "fname", "last_name": "lname", "email": "mail",
           "city": "city", "birth_date": "birth", "updated_at": "updated"},
}  # fmt: skip


@dataclass
class Noise:
    """How often each defect happens in one written record."""

    typo_first: float = 0.08
    typo_last: float = 0.08
    nickname: float = 0.12
    swapped_names: float = 0.03
    missing_email: float = 0.15
    other_email: float = 0.05
    typo_email: float = 0.04
    city_abbreviated: float = 0.25
    moved: float = 0.05
    typo_birth: float = 0.03
    missing_birth: float = 0.02
    duplicate: float = 0.05


@dataclass
class Person:
    """The truth about one person."""

    id: int
    first: str
    last: str
    email: str
    city: str
    birth: date


@dataclass
class Customers:
    """Rows of the two systems and the true person of each record."""

    crm: list[dict[str, object]] = field(default_factory=list)
    shop: list[dict[str, object]] = field(default_factory=list)
    truth: dict[tuple[str, str], int] = field(default_factory=dict)

    def write_csv(self, folder: Path) -> dict[str, Path]:
        """Write `crm_customers/crm.csv` and `shop_customers/shop.csv` under `folder`."""
        paths = {}
        for table, rows in ((CRM, self.crm), (SHOP, self.shop)):
            path = folder / table / f"{table.split('_')[0]}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            paths[table] = path
        return paths


def sources(folder: str = "in") -> dict[str, dict[str, object]]:
    """Return the lakebox.yaml `sources` reading the files `Customers.write_csv` writes."""
    return {
        table: {
            "path": f"{folder}/{table}/*.csv",
            "columns": {
                headers["id"]: {"type": "VARCHAR"},
                headers["birth_date"]: {"type": "DATE"},
                headers["updated_at"]: {"type": "TIMESTAMP"},
            },
        }
        for table, headers in HEADERS.items()
    }


def entity(threshold: float = 0.9, seed: int = 42) -> dict[str, object]:
    """Return the lakebox.yaml entity `customer` over the two systems' formatted tables."""
    return {
        "sources": [
            {
                "table": f"formatted.{table}",
                "id": headers["id"],
                "priority": priority,
                "columns": {column: name for column, name in headers.items() if column != "id"},
            }
            for priority, (table, headers) in enumerate(HEADERS.items(), start=1)
        ],
        "compare": {
            "first_name": "forename",
            "last_name": "surname",
            "email": "email",
            "city": "fuzzy",
            "birth_date": "date",
        },
        "blocking": [
            ["email"],
            ["first_name", "last_name"],
            ["last_name", "birth_date"],
            ["first_name", "birth_date"],
            ["birth_date", "city"],
        ],
        "threshold": threshold,
        "seed": seed,
        "survivorship": {
            "default": "most_recent",
            "columns": {"city": "most_frequent", "email": "source_priority"},
        },
    }


def generate(people: int, seed: int, noise: Noise | None = None) -> Customers:
    """Return the CRM and shop records of `people` people, deterministic per `seed`."""
    rng = random.Random(seed)
    noise = noise or Noise()
    customers = Customers()
    for person in (_person(rng, number) for number in range(1, people + 1)):
        in_crm = rng.random() < 0.8
        in_shop = not in_crm or rng.random() < 0.7
        for wanted, table in ((in_crm, CRM), (in_shop, SHOP)):
            copies = 1 + (rng.random() < noise.duplicate) if wanted else 0
            for _ in range(copies):
                _add(customers, table, _record(rng, person, noise), person.id, rng)
    rng.shuffle(customers.crm)
    rng.shuffle(customers.shop)
    return customers


def _person(rng: random.Random, number: int) -> Person:
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    user = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[:3]}"))
    email = f"{user.lower()}{rng.randint(1, 99) if rng.random() < 0.5 else ''}"
    birth = date(1940, 1, 1) + timedelta(days=rng.randrange(65 * 365))
    return Person(number, first, last, f"{email}@{rng.choice(DOMAINS)}", _city(rng), birth)


def _city(rng: random.Random) -> str:
    return rng.choice(list(CITIES))


def _record(rng: random.Random, person: Person, noise: Noise) -> dict[str, object]:
    first, last = person.first, person.last
    if rng.random() < noise.nickname:
        first = NICKNAMES.get(first, first)
    first = _typo(rng, first) if rng.random() < noise.typo_first else first
    last = _typo(rng, last) if rng.random() < noise.typo_last else last
    if rng.random() < noise.swapped_names:
        first, last = last, first
    city = _city(rng) if rng.random() < noise.moved else person.city
    if rng.random() < noise.city_abbreviated:
        city = CITIES[city]
    return {
        "first_name": first,
        "last_name": last,
        "email": _email(rng, person, noise),
        "city": city,
        "birth_date": _birth(rng, person.birth, noise),
        "updated_at": datetime(2020, 1, 1) + timedelta(minutes=rng.randrange(3_000_000)),
    }


def _email(rng: random.Random, person: Person, noise: Noise) -> str | None:
    draw = rng.random()
    if draw < noise.missing_email:
        return None
    if draw < noise.missing_email + noise.other_email:
        return f"{person.last.lower()}{rng.randint(100, 999)}@{rng.choice(DOMAINS)}"
    if draw < noise.missing_email + noise.other_email + noise.typo_email:
        user, _, domain = person.email.partition("@")
        return f"{_typo(rng, user)}@{domain}"
    return person.email


def _birth(rng: random.Random, birth: date, noise: Noise) -> date | None:
    draw = rng.random()
    if draw < noise.missing_birth:
        return None
    if draw < noise.missing_birth + noise.typo_birth:
        if birth.day <= 12 and birth.day != birth.month:
            return birth.replace(day=birth.month, month=birth.day)  # day and month swapped
        return birth + timedelta(days=rng.choice((-1, 1, -10, 10)))
    return birth


def _typo(rng: random.Random, word: str) -> str:
    """Return `word` with one letter dropped, doubled, replaced or two swapped."""
    if len(word) < 3:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at] + word[at:]
    if kind == 2:
        return word[:at] + rng.choice(string.ascii_lowercase) + word[at + 1 :]
    return word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]


def _add(
    customers: Customers, table: str, record: dict[str, object], person: int, rng: random.Random
) -> None:
    rows = customers.crm if table == CRM else customers.shop
    key = (
        str(len(rows) + 1 + rng.randrange(5) * 100_000) if table == CRM else f"S{len(rows) + 1:07d}"
    )
    while (table, key) in customers.truth:
        key = str(int(key) + 1)
    rows.append({HEADERS[table][column]: value for column, value in {"id": key, **record}.items()})
    customers.truth[(table, key)] = person


@dataclass
class Scores:
    """Pairwise precision and recall of predicted clusters against the truth."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Return the share of predicted pairs that are the same person."""
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        """Return the share of same-person pairs that were predicted."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def resolved_clusters(lh: Lakehouse, entity: str = "customer") -> dict[tuple[str, str], str]:
    """Return the clusters an entity resolution wrote: (source table, id) → cluster id."""
    rows = lh.query(
        f"SELECT source_table, source_id, cluster_id FROM exploitation.{entity}_clusters"
    ).to_pylist()
    return {
        (row["source_table"].removeprefix("formatted."), row["source_id"]): row["cluster_id"]
        for row in rows
    }


def pairwise_scores(
    clusters: dict[tuple[str, str], str], truth: dict[tuple[str, str], int]
) -> Scores:
    """Return the scores of `clusters` ((table, id) → cluster) against `truth` (→ person)."""
    pairs = sum(_pairs(n) for n in Counter(truth.values()).values())
    predicted = sum(_pairs(n) for n in Counter(clusters.values()).values())
    both = Counter((clusters[record], truth[record]) for record in clusters if record in truth)
    return Scores(pairs, predicted, sum(_pairs(n) for n in both.values()))


def _pairs(size: int) -> int:
    return size * (size - 1) // 2
