"""Write fitted grade ladders into a pool policy YAML (`capscore calibrate-grades`).

Only the `grades:` block is rewritten; every other line, comments included,
stays as it is, so the file still reads as documentation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

BLOCK = re.compile(r"^grades:\n(?:(?:[ \t].*|)\n)*", re.MULTILINE)


def grades_block(
    targets: Mapping[str, float],
    fitted: Mapping[str, Mapping[str, object]],
    about: Mapping[str, object],
    reference_shares: Sequence[float],
) -> str:
    """The YAML text of a fitted `grades:` block (flow style, one stage per line)."""
    target_text = ", ".join(f"{g}: {v:g}" for g, v in targets.items())
    lines = ["grades:", f"  targets: {{{target_text}}}", "  by_stage:"]
    for stage, fit in fitted.items():
        ladder = fit["ladder"]
        assert isinstance(ladder, Mapping)
        rungs = ", ".join(f"{{grade: {g}, min_composite: {v:g}}}" for g, v in ladder.items())
        lines.append(f"    {stage}: [{rungs}]")
    members = ", ".join(f"{s}: {f['members']}" for s, f in fitted.items())
    pooled = [s for s, f in fitted.items() if f["pooled"]]
    shares = ", ".join(f"{s:.4f}" for s in reference_shares)
    lines += [
        "  fitted:",
        *(f"    {k}: {v}" for k, v in about.items()),
        f"    members: {{{members}}}",
        f"    pooled_stages: [{', '.join(pooled)}]",
        f"    reference_shares: [{shares}]",
    ]
    return "\n".join(lines) + "\n"


def replace_grades(yaml_text: str, block: str) -> str:
    """`yaml_text` with its top-level `grades:` block replaced by `block`."""
    if not BLOCK.search(yaml_text):
        raise ValueError("no top-level `grades:` block to replace")
    return BLOCK.sub(lambda _: block + "\n", yaml_text, count=1)
