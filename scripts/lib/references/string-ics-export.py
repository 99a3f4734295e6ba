#!/usr/bin/env python3
"""Reference "python-string-ics-export" of scripts/bench-references: the same iCalendar as
icalendar-export.py written with plain string formatting, no library. Timed as a whole
process.

Usage: string-ics-export.py EVENTS.jsonl OUTPUT.ics

Same VEVENTs and properties as icalendar-export.py. TEXT values are escaped as RFC 5545
section 3.3.11 says (backslash, semicolon, comma; a line break becomes \\n); every content
line is folded at 75 octets (CRLF and one space; a continuation holds at most 74 octets
after the space), never inside a UTF-8 sequence. Prints the number of VEVENTs.
"""

import datetime
import json
import sys
import zoneinfo

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = datetime.timezone.utc
ONE_DAY = datetime.timedelta(days=1)


def escape(text):
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line):
    """One content line as UTF-8 bytes, folded at 75 octets, with its CRLF."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data + b"\r\n"
    parts = []
    limit = 75
    while len(data) > limit:
        cut = limit
        while data[cut] & 0xC0 == 0x80:  # do not cut before a continuation byte
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
        limit = 74
    parts.append(data)
    return b"\r\n ".join(parts) + b"\r\n"


def time_property(name, text, is_end):
    if len(text) == 10:
        day = datetime.date.fromisoformat(text)
        if is_end:
            day += ONE_DAY  # an inclusive all-day end becomes the exclusive DTEND
        return f"{name};VALUE=DATE:{day:%Y%m%d}"
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return f"{name}:{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: string-ics-export.py EVENTS.jsonl OUTPUT.ics")
    source, output = sys.argv[1], sys.argv[2]
    stamp = f"DTSTAMP:{datetime.datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    count = 0
    with open(source, encoding="utf-8-sig") as lines, open(output, "wb") as target:
        write = target.write
        write(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
        write(fold("PRODID:-//Relais benchmark references//strings//FR"))
        for line in lines:
            if not line.strip():
                continue
            e = json.loads(line)
            slots = e["slots"]
            summary = fold("SUMMARY:" + escape(e["title"]))
            place = e.get("place")
            location = fold("LOCATION:" + escape(place)) if place else b""
            text = e.get("description")
            description = fold("DESCRIPTION:" + escape(text)) if text else b""
            status = b"STATUS:CANCELLED\r\n" if e.get("status") == "cancelled" else b""
            for index, slot in enumerate(slots, 1):
                uid = e["id"] if len(slots) == 1 else f"{e['id']}#{index}"
                write(b"BEGIN:VEVENT\r\n")
                write(fold("UID:" + escape(uid)))
                write(fold(stamp))
                write(summary)
                write(fold(time_property("DTSTART", slot["start"], False)))
                if slot.get("end"):
                    write(fold(time_property("DTEND", slot["end"], True)))
                write(location)
                write(description)
                write(status)
                write(b"END:VEVENT\r\n")
                count += 1
        write(b"END:VCALENDAR\r\n")
    print(count)


if __name__ == "__main__":
    main()
