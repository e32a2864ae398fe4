"""Makes closed_won.csv: made-up deals won by the sample leads, for backtests.

The CRM export of a real project would take its place. The deals are drawn at random
(seeded: the same file every time) so that, as in real funnels, leads who look like buyers
and were active before 2026-08-01 win more often in the three months after it; most wins
are noise all the same. A few deals are older (won before 2026-08-01) and a few come after
the 90 days, so that the as-of and the horizon both matter.

    python3 generate_closed_won.py   # from this folder; rewrites closed_won.csv
"""

import csv
import math
import random
from datetime import datetime, timedelta, timezone

AS_OF = datetime(2026, 8, 1, tzinfo=timezone.utc)
rng = random.Random(20260801)


def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


events = {}
with open("events.csv", newline="") as f:
    for row in csv.DictReader(f):
        t = at(row["at"])
        if t <= AS_OF:
            events.setdefault(row["contact_id"], []).append((row["type"], t, row))

deals = []
with open("contacts.csv", newline="") as f:
    for c in csv.DictReader(f):
        mine = events.get(c["id"], [])
        days = lambda t: (AS_OF - t).days
        pricing = sum(1 for ty, t, r in mine if ty == "page_view" and r["url"].startswith("/pricing") and days(t) <= 90)
        clicks = sum(1 for ty, t, r in mine if ty == "email_click" and days(t) <= 60)
        demo = any(ty == "demo_request" and days(t) <= 90 for ty, t, r in mine)
        papers = sum(1 for ty, t, r in mine if ty == "form_submit" and days(t) <= 180)
        unsubscribed = any(ty == "unsubscribe" for ty, t, r in mine)
        employees = float(c["employees"]) if c["employees"] else None
        logit = -3.0
        logit += 1.3 if c["industry"] in ("SaaS", "Retail", "Fintech") else 0.0
        logit += 1.5 if any(w in c["role"].lower() for w in ("ceo", "cmo", "head", "director", "vp")) else 0.0
        logit += 0.8 if employees is not None and 50 <= employees <= 1000 else 0.0
        logit -= 1.2 if employees is not None and employees < 10 else 0.0
        logit += 0.5 * min(pricing, 4) + 0.3 * min(clicks, 4) + 0.5 * min(papers, 3)
        logit += 2.0 if demo else 0.0
        logit -= 1.5 if unsubscribed else 0.0
        p = 1 / (1 + math.exp(-logit))
        draw = rng.random()
        if draw < p:
            day = rng.randint(1, 89) if rng.random() < 0.85 else rng.randint(92, 120)
            amount = round(rng.uniform(2, 40)) * 500
            deals.append((c["id"], AS_OF + timedelta(days=day, hours=rng.randint(8, 18)), amount))
        elif draw > 0.97:
            # An older deal, before the as-of: not an outcome of this backtest.
            deals.append((c["id"], AS_OF - timedelta(days=rng.randint(20, 200), hours=rng.randint(8, 18)), round(rng.uniform(2, 40)) * 500))

deals.sort(key=lambda d: (d[1], d[0]))
with open("closed_won.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    # The deals' amounts are drawn (so that the draws stay as they are) but not written:
    # the rules do not use them, and a column no event declares is ignored with a warning.
    w.writerow(["contact_id", "type", "at"])
    for cid, t, _amount in deals:
        w.writerow([cid, "closed_won", t.strftime("%Y-%m-%dT%H:%M:%SZ")])
print(f"{len(deals)} deals written to closed_won.csv")
