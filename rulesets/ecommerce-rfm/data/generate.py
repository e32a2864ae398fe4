#!/usr/bin/env python3
"""Generate the sample data of the e-commerce RFM project (deterministic).

    python3 data/generate.py          # rewrites data/contacts.csv and data/events.csv

300 contacts of an online shop and three years of orders, email clicks and unsubscribes up
to the project's as-of (2026-11-01). Customers follow a few buying habits (regulars, lapsed
regulars, one-off buyers, newcomers, prospects) so that every RFM segment has members.
The seed is fixed: the same script always writes the same bytes.
"""

import csv
import os
import random
from datetime import datetime, timedelta, timezone

SEED = 20261101
CONTACTS = 300
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
HERE = os.path.dirname(os.path.abspath(__file__))

FIRST_NAMES = ["Alice", "Bruno", "Chloé", "David", "Emma", "Farid", "Giulia", "Hugo", "Inès",
               "Jonas", "Karim", "Léa", "Marco", "Nina", "Oscar", "Paula", "Quentin", "Rosa",
               "Sami", "Tess", "Ugo", "Vera", "Wout", "Yasmine", "Zoé"]
COUNTRIES = ["FR", "FR", "FR", "BE", "DE", "ES", "IT", "NL", "GB"]
DOMAINS = ["gmail.com", "yahoo.fr", "orange.fr", "outlook.com", "free.fr", "icloud.com"]
CAMPAIGNS = ["newsletter", "new-arrivals", "sale", "back-in-stock", "birthday"]

# Buying habits: (name, share of contacts).
HABITS = [
    ("regular", 0.20),       # orders every few weeks, still active
    ("lapsed_regular", 0.15),  # used to order often, stopped 6-24 months ago
    ("occasional", 0.20),    # a few orders a year
    ("one_off", 0.20),       # a single order at any time in the three years
    ("newcomer", 0.10),      # first order in the last two months
    ("prospect", 0.15),      # signed up, never ordered
]


def instant(days_ago, rng):
    """A time stamp `days_ago` days before as-of, at a random time of day."""
    moment = AS_OF - timedelta(days=days_ago) + timedelta(seconds=rng.randrange(0, 86400))
    if moment >= AS_OF:
        moment = AS_OF - timedelta(seconds=rng.randrange(60, 3600))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def order_days(habit, rng):
    """The ages in days of a contact's orders."""
    if habit == "regular":
        gap = rng.uniform(12, 45)
        start = rng.uniform(0, 20)
        return [start + i * gap * rng.uniform(0.7, 1.3) for i in range(rng.randint(6, 20))]
    if habit == "lapsed_regular":
        start = rng.uniform(180, 720)
        gap = rng.uniform(15, 60)
        return [start + i * gap * rng.uniform(0.7, 1.3) for i in range(rng.randint(4, 14))]
    if habit == "occasional":
        return [rng.uniform(0, 1000) for _ in range(rng.randint(2, 4))]
    if habit == "one_off":
        return [rng.uniform(0, 1090)]
    if habit == "newcomer":
        return [rng.uniform(0, 60)]
    return []


def main():
    rng = random.Random(SEED)
    contacts, events = [], []
    for n in range(CONTACTS):
        habit = rng.choices([h for h, _ in HABITS], weights=[w for _, w in HABITS])[0]
        first = rng.choice(FIRST_NAMES)
        cid = f"r{n:03d}"
        ages = sorted(a for a in order_days(habit, rng) if a < 1095)
        oldest = max(ages) if ages else rng.uniform(0, 1095)
        signup_days = oldest + rng.uniform(0, 30)
        tags = []
        if rng.random() < 0.45:
            tags.append("newsletter")
        if habit == "regular" and rng.random() < 0.3:
            tags.append("vip")
        if rng.random() < 0.1:
            tags.append("gift-buyer")
        contacts.append({
            "id": cid,
            "email": f"{first.lower().replace('é', 'e').replace('è', 'e')}.{n}@{rng.choice(DOMAINS)}",
            # A few contacts left their first name out: the field is optional.
            "first_name": "" if rng.random() < 0.08 else first,
            "country": rng.choice(COUNTRIES),
            "signup_at": (AS_OF - timedelta(days=signup_days)).strftime("%Y-%m-%d"),
            "tags": ";".join(tags),
        })
        basket = rng.uniform(25, 90) * (1.8 if habit in ("regular", "lapsed_regular") else 1)
        for age in ages:
            amount = round(max(5.0, rng.gauss(basket, basket / 3)), 2)
            events.append((cid, "order", instant(age, rng), f"{amount:.2f}", ""))
        # Email clicks: more engaged customers click more, mostly on recent campaigns.
        clicks = {"regular": 6, "lapsed_regular": 2, "occasional": 3, "one_off": 1,
                  "newcomer": 3, "prospect": 2}[habit]
        for _ in range(rng.randint(0, clicks)):
            events.append((cid, "email_click", instant(rng.expovariate(1 / 60), rng), "",
                           rng.choice(CAMPAIGNS)))
        if rng.random() < 0.06:
            events.append((cid, "unsubscribe", instant(rng.uniform(0, 400), rng), "", ""))

    with open(os.path.join(HERE, "contacts.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(contacts[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(contacts)
    events.sort(key=lambda e: (e[0], e[2]))
    with open(os.path.join(HERE, "events.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["contact_id", "type", "at", "amount", "campaign"])
        writer.writerows(events)


if __name__ == "__main__":
    main()
