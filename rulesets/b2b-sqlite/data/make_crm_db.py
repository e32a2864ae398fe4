#!/usr/bin/env python3
"""Builds data/crm.db (SQLite) from the b2b-leads sample CSV files, with typed columns:
what a CRM's database would hold. Run from this folder: python3 data/make_crm_db.py"""
import csv
import os
import sqlite3

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "b2b-leads", "data")
DB = os.path.join(HERE, "crm.db")

if os.path.exists(DB):
    os.remove(DB)
db = sqlite3.connect(DB)
db.execute(
    "CREATE TABLE contacts (id TEXT PRIMARY KEY, email TEXT, industry TEXT, role TEXT, "
    "employees INTEGER, country TEXT, tags TEXT, created_at DATE)"
)
db.execute(
    "CREATE TABLE events (contact_id TEXT NOT NULL, type TEXT NOT NULL, at TIMESTAMP NOT NULL, "
    "url TEXT, form TEXT, amount REAL)"
)


def blank(v):
    return None if v == "" else v


with open(os.path.join(SRC, "contacts.csv"), newline="") as f:
    for r in csv.DictReader(f):
        db.execute(
            "INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (r["id"], r["email"], r["industry"], r["role"],
             None if r["employees"] == "" else int(float(r["employees"])),
             r["country"], r["tags"], r["created_at"]),
        )
with open(os.path.join(SRC, "events.csv"), newline="") as f:
    for r in csv.DictReader(f):
        db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            (r["contact_id"], r["type"], r["at"], blank(r["url"]), blank(r["form"]),
             None if r["amount"] == "" else float(r["amount"])),
        )
db.execute("CREATE INDEX events_by_contact ON events (contact_id)")
db.commit()
db.execute("VACUUM")
db.close()
