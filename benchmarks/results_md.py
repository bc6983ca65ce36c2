"""Write one section of benchmarks/RESULTS.md, leaving every other section as it is.

Each benchmark script owns the sections it writes (a ``## `` heading and the text up to the next one).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(title: str, body: str, path: Path = RESULTS) -> None:
    """Replace the section headed ``## {title}`` of ``path`` by ``body`` (append it if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    head, *sections = text.split("\n## ")
    new = f"{title}\n\n{body.strip()}\n"
    for i, section in enumerate(sections):
        if section.splitlines()[0].strip() == title:
            sections[i] = new
            break
    else:
        sections.append(new)
    out = "\n## ".join([head.rstrip("\n") + "\n", *(s.rstrip("\n") + "\n" for s in sections)])
    temp = path.with_suffix(".md.tmp")
    temp.write_text(out, encoding="utf-8")
    os.replace(temp, path)


def when() -> str:
    """The date and time now (UTC) and the machine's load average over the last minute."""
    return f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load {os.getloadavg()[0]:.1f}"
