#!/usr/bin/env python3
"""check-demo: validates the demo dataset against the metamodel, offline.

    python3 scripts/check-demo.py [--demo demo/demo-kz.json] [--model model/egov-kz.json]
                                  [--strict] [--quiet]
    python3 scripts/check-demo.py --make-bin 07124000123   # 11 digits -> BIN with check digit

The demo file is loaded by `archportal serve --demo` section by section
(organizations, objects, relations), each record in file order through the
normal validated write path, all in one transaction. A record may therefore
refer only to records that appear earlier in the file. This script checks,
without the server:

  * the file: a JSON object with only the sections the server loads, no
    duplicate keys;
  * every record: a valid, unique id (1-64 of [A-Za-z0-9._-], not starting
    with '.'), a kind (or, for relations, a type) of the section's
    collection, owner and name where the kind is owned/named, only fields the
    kind declares (after "include" expansion; source, target and the
    attributes for relations), required fields present and not blank, every
    value of the field's type (string/text lengths and control characters,
    i18n objects, integers, decimals, dates, timestamps, bools, enums
    including list items, https URLs, e-mails, lists, objects and their
    sub-fields, references), BINs with
    valid check digits;
  * references (owner, ref fields, source, target): defined earlier in the
    file and of a kind the field allows; relations: no self-relation and no
    duplicate (type, source, target);
  * demo quality: every i18n value (names, purposes, addresses ...) has
    non-empty kk, ru and en; URLs are https;
  * rules of the portal: REG-08 (first class only on the ICP EG or the
    e-government ICT infrastructure), REG-09 (an exception only for
    placement "other"), REG-11 (warranty ends 12 months after
    commissioning), dates in a sensible order.

Warnings (kk text identical to ru, no Kazakh-specific letters in kk text,
placement "other" without an exception, ...) are printed but fail only with
--strict. Exit status: 0 clean, 1 problems found, 2 usage or unreadable input.
Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import re
import sys

SECTIONS = ("organizations", "objects", "relations")  # the order demo_load uses
LANGS = ("kk", "ru", "en")
READONLY_KEYS = ("revision", "created_at", "updated_at", "retired_at")
ID_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
DECIMAL_RE = re.compile(r"^-?\d{1,18}(\.\d{1,6})?$")
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
LIST_MAX = 1000
DEFAULT_MAX = {"string": 1000, "text": 100000, "i18n": 10000, "url": 2048, "email": 254}
NAME_MAX_BYTES = 1000


# ---- BIN -------------------------------------------------------------------

W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def bin_check_digit(first11):
    """Check digit for 11 digits, or None when the number cannot be valid."""
    d = [int(c) for c in first11]
    c = sum(x * w for x, w in zip(d, W1)) % 11
    if c == 10:
        c = sum(x * w for x, w in zip(d, W2)) % 11
    return None if c == 10 else c


def bin_valid(s):
    if not isinstance(s, str) or len(s) != 12 or not s.isascii() or not s.isdigit():
        return False
    c = bin_check_digit(s[:11])
    return c is not None and c == int(s[11])


def bin_structure_note(s):
    """Soft checks of the BIN layout: YYMM, entity type, head/branch digit."""
    month = int(s[2:4])
    if not 1 <= month <= 12:
        return "positions 3-4 should be the registration month (01-12)"
    if s[4] not in "456":
        return "position 5 should be the entity type (4 resident, 5 non-resident, 6 IE/joint)"
    if s[5] not in "0123":
        return "position 6 should be 0 (head office) .. 3"
    return None


# ---- model -----------------------------------------------------------------


class Model:
    def __init__(self, doc):
        self.enums = {}
        for eid, e in doc.get("enums", {}).items():
            self.enums[eid] = [v["id"] for v in e.get("values", [])]
        sets = doc.get("field_sets", {})
        self.kinds = {}  # id -> dict(collection, owned, named, relation, fields{name: field})
        for kid, k in doc.get("kinds", {}).items():
            fields = []
            for inc in k.get("include", []):
                fields.extend(sets[inc])
            fields.extend(k.get("fields", []))
            self.kinds[kid] = {
                "collection": k["collection"],
                "owned": bool(k.get("owned")),
                "named": bool(k.get("named")),
                "relation": False,
                "fields": {f["name"]: f for f in fields},
            }
        for rid, r in doc.get("relations", {}).items():
            fields = [
                {"name": "source", "type": "ref", "to": r.get("source", []), "required": True},
                {"name": "target", "type": "ref", "to": r.get("target", []), "required": True},
            ]
            fields.extend(r.get("attributes", []))
            self.kinds[rid] = {
                "collection": r.get("collection", "relations"),
                "owned": False,
                "named": False,
                "relation": True,
                "fields": {f["name"]: f for f in fields},
            }
        self.collections = doc.get("collections", {})

    def kinds_of(self, collection):
        return [k for k, v in self.kinds.items() if v["collection"] == collection]


# ---- checking --------------------------------------------------------------


def no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    if dups:
        raise ValueError("duplicate key(s) %s" % ", ".join(repr(k) for k in dups))
    return dict(pairs)


def parse_date(s):
    if not isinstance(s, str) or not DATE_RE.match(s):
        return None
    try:
        return datetime.date.fromisoformat(s)
    except ValueError:
        return None


def add_months(d, months):
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    day = d.day
    while True:
        try:
            return datetime.date(y, m, day)
        except ValueError:
            day -= 1


def blank(s):
    return s.strip(" \t\r\n") == ""


def controls_ok(s, multiline):
    for ch in s:
        c = ord(ch)
        if ch in "\t\r\n":
            if not multiline:
                return False
        elif c < 0x20 or c == 0x7F:
            return False
    return True


def url_ok(s):
    m = re.match(r"^(https?)://([^/?#]*)", s, re.I)
    if not m or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in s):
        return False
    auth = m.group(2)
    if "@" in auth or not auth:
        return False
    host, _, port = auth.partition(":")
    if auth.startswith("["):
        return "]" in auth
    if not host or host[0] in ".-" or not re.match(r"^[A-Za-z0-9.\-\u0080-\U0010FFFF]+$", host):
        return False
    if ":" in auth and not (port.isdigit() and 1 <= int(port) <= 65535):
        return False
    return True


def email_ok(s):
    if "@" not in s or len(s) > 254:
        return False
    local, _, domain = s.partition("@")
    if not local or len(local) > 64 or local[0] == "." or local[-1] == "." or ".." in s:
        return False
    if any(c <= " " or c > "~" or c in '()<>[]\\,;:"@' for c in local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    return all(
        0 < len(lb) <= 63 and lb[0] != "-" and lb[-1] != "-" and re.match(r"^[A-Za-z0-9\-\u0080-\U0010FFFF]+$", lb)
        for lb in labels
    )


class Checker:
    def __init__(self, model, quiet=False):
        self.m = model
        self.errors = []
        self.warnings = []
        self.seen = {}  # id -> kind, in file order
        self.relations = set()
        self.bad_records = set()  # "where" strings of records (or places) with errors
        self.total = 0
        self.bins = {}  # BIN -> organization id
        self.counts = {}  # (section, kind) -> n
        self.quiet = quiet

    def err(self, where, msg):
        self.errors.append("%s: %s" % (where, msg))
        self.bad_records.add(where)

    def warn(self, where, msg):
        self.warnings.append("%s: %s" % (where, msg))

    # -- values --

    def check_i18n(self, where, path, v, required, max_len, all_langs=True):
        if not isinstance(v, dict):
            self.err(where, '%s must be an object {"kk", "ru", "en"}' % path)
            return
        for key in v:
            if key not in LANGS:
                self.err(where, "%s.%s: only kk, ru and en are allowed" % (path, key))
        any_text = False
        for lang in LANGS:
            t = v.get(lang)
            if t is None:
                if all_langs:
                    self.err(where, "%s.%s is missing (the demo names everything in kk, ru and en)" % (path, lang))
                continue
            if not isinstance(t, str):
                self.err(where, "%s.%s must be a string" % (path, lang))
                continue
            if not controls_ok(t, True) or "\x00" in t:
                self.err(where, "%s.%s contains control characters" % (path, lang))
            if len(t.encode("utf-8")) > max_len:
                self.err(where, "%s.%s is longer than %d bytes" % (path, lang, max_len))
            if blank(t):
                if all_langs:
                    self.err(where, "%s.%s is empty" % (path, lang))
            else:
                any_text = True
        if required and not any_text:
            self.err(where, "%s needs text in at least one language" % path)
        kk, ru = v.get("kk"), v.get("ru")
        if isinstance(kk, str) and isinstance(ru, str) and not blank(kk):
            if kk.strip() == ru.strip() and any(c.isalpha() and not c.isascii() for c in kk):
                self.warn(where, "%s: kk text is identical to ru" % path)
            elif any("\u0400" <= c <= "\u04ff" for c in kk) and not (set(kk) & KAZAKH_LETTERS):
                self.warn(where, "%s.kk has no Kazakh-specific letter (ә ғ қ ң ө ұ ү һ і): is it Kazakh?" % path)

    def check_ref(self, where, path, v, to):
        if not isinstance(v, str):
            self.err(where, "%s must be a record id (string)" % path)
            return
        if not ID_RE.match(v):
            self.err(where, "%s: %r is not a record id" % (path, v))
            return
        kind = self.seen.get(v)
        if kind is None:
            self.err(where, "%s: %r is not defined earlier in the file" % (path, v))
        elif to and kind not in to:
            self.err(where, "%s: %r is a %s; allowed: %s" % (path, v, kind, ", ".join(to)))

    def check_value(self, where, path, f, v):
        t = f.get("type")
        if t in ("string", "text"):
            if not isinstance(v, str):
                self.err(where, "%s must be a string" % path)
                return
            if "\x00" in v or not controls_ok(v, t == "text"):
                self.err(where, "%s contains control characters" % path)
            mx = f.get("max_length") or DEFAULT_MAX[t]
            if len(v.encode("utf-8")) > mx:
                self.err(where, "%s is longer than %d bytes" % (path, mx))
            if f.get("required") and blank(v):
                self.err(where, "%s must not be empty" % path)
            if f.get("format") == "bin":
                if not bin_valid(v):
                    self.err(where, "%s: %r is not a valid BIN (12 digits with a check digit)" % (path, v))
                else:
                    note = bin_structure_note(v)
                    if note:
                        self.warn(where, "%s %s: %s" % (path, v, note))
        elif t == "i18n":
            self.check_i18n(where, path, v, f.get("required"), f.get("max_length") or DEFAULT_MAX["i18n"])
        elif t == "integer":
            if not isinstance(v, int) or isinstance(v, bool):
                self.err(where, "%s must be an integer" % path)
                return
            if "min" in f and v < f["min"]:
                self.err(where, "%s must be at least %s" % (path, f["min"]))
            if "max" in f and v > f["max"]:
                self.err(where, "%s must be at most %s" % (path, f["max"]))
        elif t == "decimal":
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                self.err(where, "%s must be a number or a numeric string" % path)
            elif isinstance(v, str) and not DECIMAL_RE.match(v):
                self.err(where, "%s: %r is not a decimal of at most 18 digits and 6 decimals" % (path, v))
        elif t == "date":
            if parse_date(v) is None:
                self.err(where, "%s: %r is not an existing date YYYY-MM-DD" % (path, v))
        elif t == "timestamp":
            if not isinstance(v, str) or not TS_RE.match(v):
                self.err(where, "%s: %r is not an RFC 3339 date-time" % (path, v))
        elif t == "bool":
            if not isinstance(v, bool):
                self.err(where, "%s must be true or false" % path)
        elif t == "enum":
            values = self.m.enums.get(f.get("enum"))
            if values is None:
                self.err(where, "%s: the model has no enum %r" % (path, f.get("enum")))
            elif not isinstance(v, str) or v not in values:
                self.err(where, "%s: %r is not a value of %s (%s)" % (path, v, f.get("enum"), ", ".join(values)))
        elif t == "url":
            if not isinstance(v, str) or not url_ok(v) or len(v) > DEFAULT_MAX["url"]:
                self.err(where, "%s: %r is not a valid absolute URL" % (path, v))
            elif not v.lower().startswith("https://"):
                self.err(where, "%s: %r should be https" % (path, v))
        elif t == "email":
            if not isinstance(v, str) or not email_ok(v):
                self.err(where, "%s: %r is not a valid e-mail address" % (path, v))
        elif t == "list":
            if not isinstance(v, list):
                self.err(where, "%s must be an array" % path)
                return
            if len(v) > LIST_MAX:
                self.err(where, "%s has more than %d items" % (path, LIST_MAX))
            if f.get("required") and not v:
                self.err(where, "%s needs at least one item" % path)
            item = dict(f.get("item") or {})
            for i, x in enumerate(v):
                ip = "%s[%d]" % (path, i)
                if x is None:
                    self.err(where, "%s must not be null" % ip)
                else:
                    self.check_value(where, ip, item, x)
            if all(isinstance(x, (str, int)) for x in v) and len(set(v)) != len(v):
                self.warn(where, "%s has repeated items" % path)
        elif t == "ref":
            self.check_ref(where, path, v, f.get("to") or [])
        elif t == "object":
            if not isinstance(v, dict):
                self.err(where, "%s must be an object" % path)
                return
            subs = {s.get("name"): s for s in f.get("fields") or []}
            for k in v:
                if k not in subs:
                    self.err(where, "%s.%s: the object has no such sub-field" % (path, k))
            if not any(x is not None for x in v.values()):
                self.err(where, "%s: an object needs at least one value" % path)
            for name, sub in subs.items():
                x = v.get(name)
                if x is None:
                    if sub.get("required"):
                        self.err(where, "%s.%s is required" % (path, name))
                else:
                    self.check_value(where, "%s.%s" % (path, name), sub, x)
        else:
            self.err(where, "%s: unsupported field type %r in the model" % (path, t))

    # -- records --

    def check_record(self, section, i, rec):
        self.total += 1
        where = "%s[%d]" % (section, i)
        if not isinstance(rec, dict):
            self.err(where, "must be a JSON object")
            return
        rid = rec.get("id")
        if isinstance(rid, str):
            where = "%s[%d] (%s)" % (section, i, rid)
        if not isinstance(rid, str) or not ID_RE.match(rid):
            self.err(where, "id %r is not 1-64 characters of [A-Za-z0-9._-] (not starting with '.')" % (rid,))
            rid = None
        elif rid in self.seen:
            self.err(where, "id %r is used more than once" % rid)
            rid = None

        kinds = self.m.kinds_of(section)
        is_rel_section = self.m.collections.get(section, {}).get("type") == "relations"
        key = "type" if is_rel_section else "kind"
        kid = rec.get(key)
        if kid is None and len(kinds) == 1:
            kid = kinds[0]
        if kid not in kinds:
            self.err(where, "%s %r is not one of collection %s: %s" % (key, kid, section, ", ".join(kinds)))
            return
        k = self.m.kinds[kid]
        fields = k["fields"]

        for name in rec:
            if name in ("id", key):
                continue
            if name in READONLY_KEYS:
                self.err(where, "%r is set by the server and ignored: drop it" % name)
            elif name == "owner" and k["owned"] or name == "name" and k["named"]:
                continue
            elif name not in fields:
                self.err(where, "%s has no field %r" % (kid, name))
            elif fields[name].get("readonly"):
                self.err(where, "%r is read-only and ignored: drop it" % name)

        if k["owned"]:
            owner = rec.get("owner")
            if owner is None:
                self.err(where, "owner is required")
            else:
                self.check_ref(where, "owner", owner, ["organization"])
        if k["named"]:
            name = rec.get("name")
            if name is None:
                self.err(where, "name is required")
            else:
                self.check_i18n(where, "name", name, True, NAME_MAX_BYTES)

        for fname, f in fields.items():
            if f.get("readonly"):
                continue
            v = rec.get(fname)
            if v is None:
                if f.get("required"):
                    self.err(where, "%s is required" % fname)
                continue
            self.check_value(where, fname, f, v)

        if k["relation"]:
            src, dst = rec.get("source"), rec.get("target")
            if src is not None and src == dst:
                self.err(where, "a record cannot relate to itself")
            triple = (kid, src, dst)
            if triple in self.relations:
                self.err(where, "duplicate %s relation %s -> %s" % triple)
            self.relations.add(triple)
        else:
            self.check_rules(where, kid, rec)

        if rid:
            self.seen[rid] = kid
        self.counts[(section, kid)] = self.counts.get((section, kid), 0) + 1

    def check_rules(self, where, kid, rec):
        """Rules of the portal that the field types alone do not express."""
        if kid == "organization":
            b = rec.get("bin")
            if isinstance(b, str) and b in self.bins:
                self.err(where, "bin %s is already used by %s" % (b, self.bins[b]))
            elif isinstance(b, str):
                self.bins[b] = rec.get("id")
            if rec.get("org_type") == "local_executive_body" and not rec.get("region"):
                self.warn(where, "a local executive body should have a region")
            return
        cls, placement, exc = rec.get("class"), rec.get("placement"), rec.get("placement_exception")
        if cls == "first" and placement not in (None, "icp_eg", "egov_infrastructure"):
            self.err(where, "REG-08: a first-class object is placed only on the ICP EG or the e-government ICT infrastructure")
        if exc is not None and placement != "other":
            self.err(where, "REG-09: placement_exception is for objects placed elsewhere (placement 'other')")
        if placement == "other" and exc is None and kid != "other_person_object":
            self.warn(where, "REG-09: placed elsewhere without a placement_exception")
        stage = rec.get("stage")
        com, war, term = (parse_date(rec.get(n)) for n in ("commissioning_date", "warranty_end", "termination_date"))
        if com and war and war != add_months(com, 12):
            self.err(where, "REG-11: warranty_end %s is not 12 months after commissioning_date %s (%s)" % (war, com, add_months(com, 12)))
        if com and not war and rec.get("warranty_end") is None:
            self.warn(where, "REG-11: commissioning_date without warranty_end")
        if war and not com:
            self.warn(where, "warranty_end without commissioning_date")
        if stage in ("creation", "pilot_operation") and com:
            self.warn(where, "stage %s but already has a commissioning_date" % stage)
        if stage in ("industrial_operation", "development", "termination") and not com \
                and kid not in ("ict_service", "other_person_object"):
            self.warn(where, "stage %s without a commissioning_date" % stage)
        if term and stage != "termination":
            self.err(where, "termination_date is set but stage is %s, not termination" % stage)
        if stage == "termination" and not term:
            self.warn(where, "stage termination without a termination_date")
        if com and term and term < com:
            self.err(where, "termination_date %s is before commissioning_date %s" % (term, com))
        if rec.get("funding_source") == "state_investment_project" and rec.get("source_code_transferred") is None \
                and stage not in ("creation", "pilot_operation") and kid in ("information_system", "platform_software_product", "internet_resource"):
            self.warn(where, "REG-10: budget-funded but source_code_transferred is not recorded")

    def check_doc(self, doc):
        if not isinstance(doc, dict):
            self.err("file", "must be a JSON object with sections %s" % ", ".join(SECTIONS))
            return
        for key in doc:
            if key not in SECTIONS:
                self.err("file", "section %r is not loaded by the server (only %s)" % (key, ", ".join(SECTIONS)))
        for section in SECTIONS:
            if section not in self.m.collections:
                self.err("model", "has no collection %r" % section)
                continue
            items = doc.get(section, [])
            if not isinstance(items, list):
                self.err(section, "must be an array")
                continue
            for i, rec in enumerate(items):
                self.check_record(section, i, rec)

    def report(self, strict):
        print("demo summary:")
        for section in SECTIONS:
            rows = [(k, n) for (s, k), n in self.counts.items() if s == section]
            total = sum(n for _, n in rows)
            print("  %-14s %4d" % (section, total))
            for k, n in sorted(rows, key=lambda r: (-r[1], r[0])):
                print("    %-32s %4d" % (k, n))
        print("  %-14s %4d" % ("total", self.total))
        for w in self.warnings:
            print("warning: " + w)
        for e in self.errors:
            print("error: " + e)
        bad = len(self.errors) + (len(self.warnings) if strict else 0)
        print(self.closing_line())
        return 1 if bad else 0

    def closing_line(self):
        """'N passed, N failed' over the records (a file-level problem counts as one failure)."""
        failed = len(self.bad_records)
        passed = max(0, self.total - failed)
        return "%d passed, %d failed" % (passed, failed)


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description="Validate the demo dataset against the metamodel, offline.")
    ap.add_argument("--demo", default=os.path.join(root, "demo", "demo-kz.json"))
    ap.add_argument("--model", default=os.path.join(root, "model", "egov-kz.json"))
    ap.add_argument("--strict", action="store_true", help="warnings fail too")
    ap.add_argument("--quiet", action="store_true", help="print only problems and the closing line")
    ap.add_argument("--make-bin", metavar="DIGITS11", help="print the BIN for 11 digits (adds the check digit)")
    a = ap.parse_args(argv)

    if a.make_bin is not None:
        s = a.make_bin
        if len(s) != 11 or not s.isascii() or not s.isdigit():
            print("--make-bin needs exactly 11 digits", file=sys.stderr)
            return 2
        c = bin_check_digit(s)
        if c is None:
            print("%s: no valid check digit exists (change a serial digit)" % s, file=sys.stderr)
            return 1
        print(s + str(c))
        return 0

    try:
        with open(a.model, encoding="utf-8") as fh:
            model = Model(json.load(fh))
        with open(a.demo, encoding="utf-8") as fh:
            doc = json.load(fh, object_pairs_hook=no_duplicate_keys)
    except (OSError, ValueError, KeyError) as ex:
        print("check-demo: %s" % ex, file=sys.stderr)
        return 2
    ck = Checker(model, quiet=a.quiet)
    ck.check_doc(doc)
    if a.quiet:
        for w in ck.warnings:
            print("warning: " + w)
        for e in ck.errors:
            print("error: " + e)
        print(ck.closing_line())
        return 1 if ck.errors or (a.strict and ck.warnings) else 0
    return ck.report(a.strict)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
