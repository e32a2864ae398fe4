"""Adds accounts to a generated data set, for bench/accounts.sh.

    python3 bench/add_accounts.py DIR [CONTACTS_PER_ACCOUNT]

Reads DIR/contacts.csv, writes DIR/contacts_accounts.csv (the same rows with an `account_id`
column: each contact gets one of N / CONTACTS_PER_ACCOUNT accounts at random, seed 42, and
1 in 20 gets none) and DIR/accounts.csv (`id`, `industry`, `employees`, one row per account,
some with no contact). Default: 6.67 contacts per account (1M contacts in 150k accounts).
"""
import csv
import random
import sys

def main():
    folder = sys.argv[1]
    per = float(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000 / 150_000
    rng = random.Random(42)
    with open(f"{folder}/contacts.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    accounts = max(1, round(len(body) / per))
    with open(f"{folder}/contacts_accounts.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header + ["account_id"])
        for row in body:
            link = "" if rng.random() < 0.05 else f"acct-{rng.randrange(accounts):06d}"
            out.writerow(row + [link])
    industries = ["SaaS", "Retail", "Fintech", "Manufacturing", "Health", "Media"]
    with open(f"{folder}/accounts.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["id", "industry", "employees"])
        for a in range(accounts):
            employees = "" if rng.random() < 0.1 else str(rng.randrange(2, 20000))
            out.writerow([f"acct-{a:06d}", rng.choice(industries), employees])
    print(f"{len(body)} contacts in {accounts} accounts")

if __name__ == "__main__":
    main()
