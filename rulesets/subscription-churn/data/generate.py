#!/usr/bin/env python3
"""Generate the sample data of the subscription churn project (deterministic).

    python3 data/generate.py          # rewrites data/contacts.csv and data/events.csv

300 customer accounts of a B2B software subscription, with their logins of the last 120 days,
support tickets and failed payments up to the project's as-of (2026-11-01). Accounts follow a
few usage patterns (steady, growing, declining, gone quiet) so that every churn and payment
band has members. The seed is fixed: the same script always writes the same bytes.

`churned` is the outcome a backtest compares the churn risk with (`scoreline evaluate
--outcome-field churned`): whether the account left in the quarter after the as-of, as the
CRM would record it later. Accounts that went quiet or declining leave more often; accounts
younger than 60 days have no known outcome yet (an empty cell). It is drawn with a seed of
its own, after everything else, so that it changes none of the other values.
"""

import csv
import os
import random
from datetime import date, datetime, timedelta, timezone

SEED = 4242
ACCOUNTS = 300
AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)
HERE = os.path.dirname(os.path.abspath(__file__))

PREFIXES = ["Acme", "Blue", "Nord", "Sud", "Hexa", "Pixel", "Cobalt", "Lumen", "Terra", "Vega",
            "Orbit", "Atlas", "Nova", "Delta", "Zenith", "Kappa", "Mistral", "Sierra"]
SUFFIXES = ["Labs", "Retail", "Logistics", "Studio", "Finance", "Health", "Foods", "Systems"]
PLANS = [  # name, share, monthly revenue range, seats range
    ("starter", 0.45, (49, 149), (2, 10)),
    ("pro", 0.40, (290, 990), (8, 45)),
    ("enterprise", 0.15, (1500, 6000), (40, 300)),
]
PATTERNS = [  # usage pattern, share
    ("steady", 0.50),
    ("growing", 0.15),
    ("declining", 0.20),
    ("quiet", 0.15),   # no login in the last 30 days
]


def stamp(days_ago, rng):
    """An RFC 3339 time stamp `days_ago` days before as-of, at a random time of day."""
    moment = AS_OF - timedelta(days=days_ago, seconds=rng.randrange(60, 86400))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def day(days_from_as_of):
    return (AS_OF.date() + timedelta(days=days_from_as_of)).isoformat()


def month_end(year, month):
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return (first_next - timedelta(days=1)).isoformat()


def main():
    rng = random.Random(SEED)
    accounts, events, patterns = [], [], []
    for n in range(ACCOUNTS):
        aid = f"a{n:03d}"
        plan, _, mrr_range, seats_range = rng.choices(PLANS, weights=[p[1] for p in PLANS])[0]
        pattern = rng.choices([p for p, _ in PATTERNS], weights=[w for _, w in PATTERNS])[0]
        seats = rng.randint(*seats_range)
        usage = rng.uniform(0.15, 1.0) if pattern != "quiet" else rng.uniform(0.05, 0.5)
        company = f"{rng.choice(PREFIXES)} {rng.choice(SUFFIXES)}"
        tenure = rng.randint(20, 1500)
        patterns.append((pattern, tenure))
        # Starter plans are mostly monthly (no contract end); the others sign yearly contracts.
        annual = plan != "starter" or rng.random() < 0.3
        method = rng.choices(["card", "sepa", "invoice"],
                             weights=[6, 3, 1] if plan != "enterprise" else [1, 3, 6])[0]
        nps = "" if rng.random() < 0.35 else str(min(10, max(0, round(rng.gauss(
            7.5 if pattern in ("steady", "growing") else 5.5, 2.2)))))
        accounts.append({
            "id": aid,
            "company": company,
            "email": f"admin{n}@{company.lower().replace(' ', '')}.example",
            "plan": plan,
            "mrr": str(rng.randrange(*mrr_range)),
            "seats": str(seats),
            "active_users": str(max(1, round(seats * usage))),
            "signup_at": day(-tenure),
            "contract_end": day(rng.randint(1, 365)) if annual else "",
            "payment_method": method,
            "card_expires": month_end(2026 + rng.randint(0, 3), rng.randint(1, 12))
            if method == "card" else "",
            "nps": nps,
        })

        # Logins per 30 days before the last month, and in the last month.
        rate = max(1, round(rng.uniform(2, 10) * min(1.0, 0.3 + seats / 60)))
        recent = {"steady": rate * rng.uniform(0.8, 1.2), "growing": rate * rng.uniform(1.3, 2),
                  "declining": rate * rng.uniform(0.1, 0.6), "quiet": 0}[pattern]
        for _ in range(round(recent)):
            events.append((aid, "login", stamp(rng.uniform(0, 30), rng), "", ""))
        for _ in range(round(rate * 3)):
            events.append((aid, "login", stamp(rng.uniform(30, 120), rng), "", ""))

        # Support tickets over the last six months; unhappy accounts open more.
        for _ in range(rng.choices([0, 1, 2, 3, 4], weights=[5, 3, 2, 1, 1])[0]
                       + (1 if pattern in ("declining", "quiet") else 0)):
            severity = rng.choices(["low", "normal", "high", "urgent"], weights=[4, 4, 2, 1])[0]
            events.append((aid, "ticket", stamp(rng.uniform(0, 180), rng), severity, ""))

        # Failed payments: mostly card payers.
        if rng.random() < (0.18 if method == "card" else 0.04):
            for _ in range(rng.randint(1, 3)):
                events.append((aid, "payment_failed", stamp(rng.uniform(0, 200), rng), "",
                               accounts[-1]["mrr"]))

    churn = random.Random(SEED + 1)
    for account, (pattern, tenure) in zip(accounts, patterns):
        p = {"steady": 0.06, "growing": 0.03, "declining": 0.35, "quiet": 0.55}[pattern]
        if account["nps"] and int(account["nps"]) <= 6:
            p += 0.10
        draw = churn.random() < p
        account["churned"] = "" if tenure < 60 else ("true" if draw else "false")

    with open(os.path.join(HERE, "contacts.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(accounts[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(accounts)
    events.sort(key=lambda e: (e[0], e[2]))
    with open(os.path.join(HERE, "events.csv"), "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["contact_id", "type", "at", "severity", "amount"])
        writer.writerows(events)


if __name__ == "__main__":
    main()
