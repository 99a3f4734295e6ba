#!/usr/bin/env python3
"""Reference "python-icalendar-export" of scripts/bench-references: the catalogue to
iCalendar with the `icalendar` package. Timed as a whole process.

Usage: icalendar-export.py EVENTS.jsonl OUTPUT.ics

One VEVENT per slot. UID: the event id for a one-slot event, <id>#1, <id>#2, ... for the
slots of a several-slot event (as Relais exports). DTSTART/DTEND: a DATE for an all-day
time ("2020-11-17"; the inclusive all-day end becomes the exclusive DTEND, the next day),
a UTC DATE-TIME otherwise (local times are read in Europe/Paris); no DTEND for a slot
without end. SUMMARY, LOCATION (place), DESCRIPTION, STATUS:CANCELLED for cancelled
events, and DTSTAMP (required by RFC 5545). Prints the number of VEVENTs.
"""

import datetime
import json
import sys
import zoneinfo

from icalendar import Calendar, Event

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = datetime.timezone.utc
ONE_DAY = datetime.timedelta(days=1)


def parse(text):
    """A date for an all-day time; an aware UTC datetime otherwise."""
    if len(text) == 10:
        return datetime.date.fromisoformat(text)
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(UTC)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: icalendar-export.py EVENTS.jsonl OUTPUT.ics")
    source, output = sys.argv[1], sys.argv[2]
    stamp = datetime.datetime.now(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", "-//Relais benchmark references//icalendar//FR")
    calendar.add("version", "2.0")
    count = 0
    with open(source, encoding="utf-8-sig") as lines:
        for line in lines:
            if not line.strip():
                continue
            e = json.loads(line)
            slots = e["slots"]
            for index, slot in enumerate(slots, 1):
                event = Event()
                event.add("uid", e["id"] if len(slots) == 1 else f"{e['id']}#{index}")
                event.add("dtstamp", stamp)
                event.add("summary", e["title"])
                start = parse(slot["start"])
                event.add("dtstart", start)
                if slot.get("end"):
                    end = parse(slot["end"])
                    if not isinstance(end, datetime.datetime):
                        end = end + ONE_DAY
                    event.add("dtend", end)
                if e.get("place"):
                    event.add("location", e["place"])
                if e.get("description"):
                    event.add("description", e["description"])
                if e.get("status") == "cancelled":
                    event.add("status", "CANCELLED")
                calendar.add_component(event)
                count += 1
    with open(output, "wb") as target:
        target.write(calendar.to_ical())
    print(count)


if __name__ == "__main__":
    main()
