#!/usr/bin/env python3
"""clamav_sigs.py: makes export_clamav's .ndb output acceptable to ClamAV 1.4: folds runs of ??
into neighbouring jumps, trims wildcards at either end, then asks clamscan itself which lines it
refuses (by bisection) and leaves those out. Reads .ndb on stdin, writes .ndb on stdout, says on
stderr how many signatures were kept.

usage: clamav_sigs.py < raw.ndb > sigs.ndb"""
import re, subprocess, sys, tempfile, os

TOKEN = re.compile(r"\{(\d*)-?(\d*)\}|\*|\([^)]*\)|\?\?|[0-9a-f?]{2}")

def normalize(body):
    out, lo, hi = [], 0, 0          # pending jump [lo, hi] (hi None = unbounded)
    pending = False
    for m in TOKEN.finditer(body):
        t = m.group(0)
        if t == "??":
            lo += 1; hi = None if hi is None else hi + 1; pending = True
        elif t == "*":
            hi = None; pending = True
        elif t.startswith("{"):
            text = t[1:-1]
            if "-" in text:
                a, b = text.split("-")
                lo += int(a or 0); hi = None if (hi is None or b == "") else hi + int(b)
            else:
                lo += int(text); hi = None if hi is None else hi + int(text)
            pending = True
        else:
            if pending and out:
                if hi is None:
                    out.append("{%d-}" % lo if lo else "*")
                elif lo == hi:
                    out.append("{%d}" % lo)
                else:
                    out.append("{%d-%d}" % (lo, hi))
            lo, hi, pending = 0, 0, False
            out.append(t)
    return "".join(out)

def accepted(lines):
    with tempfile.NamedTemporaryFile("w", suffix=".ndb", delete=False) as db:
        db.write("".join(lines)); name = db.name
    with tempfile.NamedTemporaryFile(delete=False) as empty:
        target = empty.name
    try:
        r = subprocess.run(["clamscan", "--no-summary", "-d", name, target],
                           capture_output=True)
        return r.returncode in (0, 1)
    finally:
        os.unlink(name); os.unlink(target)

def keep_good(lines):
    if not lines or accepted(lines):
        return lines
    if len(lines) == 1:
        return []
    half = len(lines) // 2
    return keep_good(lines[:half]) + keep_good(lines[half:])

raw = [l.rstrip("\n").split(":", 3) for l in sys.stdin if l.strip()]
lines = []
for name, target, offset, body in raw:
    body = normalize(body)
    if body:
        lines.append("%s:%s:%s:%s\n" % (name, target, offset, body))
good = keep_good(lines)
sys.stdout.write("".join(good))
sys.stderr.write("clamav_sigs: %d of %d signatures accepted by clamscan\n" % (len(good), len(raw)))
