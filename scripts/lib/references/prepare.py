#!/usr/bin/env python3
"""Untimed preparation for scripts/bench-references.

Usage: prepare.py EVENTS.jsonl WORKDIR

Reads the JSON Lines catalogue once and writes, in WORKDIR:
  events.csv  one row per event, the scalar fields; audience and tags joined with ';'
  slots.csv   one row per slot: event id, start, end ('' when the slot has no end)
  events.tsv  id, kind, region ('' when national), status, title: what lua-memory-filter loads
Both CSV files have a header row (sqlite3-import skips it) and LF line ends.
Prints "EVENTS SLOTS MATCHED" on stdout: the number of events, of slots, and of events
with region "75" and kind "webinar" (what the Lua filters must count).
"""

import csv
import json
import os
import sys

EVENT_COLUMNS = ["id", "title", "kind", "status", "region", "online", "lab", "organizer",
                 "place", "url", "contact", "audience", "tags", "description"]


def flat(text):
    return (text or "").replace("\t", " ").replace("\r", " ").replace("\n", " ")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: prepare.py EVENTS.jsonl WORKDIR")
    source, workdir = sys.argv[1], sys.argv[2]
    events = slots = matched = 0
    with open(source, encoding="utf-8-sig") as lines, \
            open(os.path.join(workdir, "events.csv"), "w", encoding="utf-8", newline="") as events_file, \
            open(os.path.join(workdir, "slots.csv"), "w", encoding="utf-8", newline="") as slots_file, \
            open(os.path.join(workdir, "events.tsv"), "w", encoding="utf-8", newline="\n") as tsv:
        events_csv = csv.writer(events_file, lineterminator="\n")
        slots_csv = csv.writer(slots_file, lineterminator="\n")
        events_csv.writerow(EVENT_COLUMNS)
        slots_csv.writerow(["event_id", "start", "end"])
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except ValueError as error:
                sys.exit(f"prepare.py: {source}:{number}: not JSON: {error}")
            events += 1
            region = e.get("region") or ""
            status = e.get("status") or "scheduled"
            events_csv.writerow([
                e["id"], e["title"], e["kind"], status, region,
                1 if e.get("online") else 0,
                e.get("lab") or "", e.get("organizer") or "", e.get("place") or "",
                e.get("url") or "", e.get("contact") or "",
                ";".join(e.get("audience") or []), ";".join(e.get("tags") or []),
                e.get("description") or "",
            ])
            for slot in e["slots"]:
                slots += 1
                slots_csv.writerow([e["id"], slot["start"], slot.get("end") or ""])
            tsv.write("\t".join([e["id"], e["kind"], region, status, flat(e["title"])]) + "\n")
            if e.get("region") == "75" and e["kind"] == "webinar":
                matched += 1
    print(events, slots, matched)


if __name__ == "__main__":
    main()
