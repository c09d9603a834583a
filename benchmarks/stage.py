"""One benchmark stage in its own process, so its peak memory is its own."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from capscore.storage.paths import DataRoot

STAGE_GROUPS = {
    "ingest": ("capscore_ingest", None),
    "core+er": ("capscore_as_of", ("core", "er")),
    "scoring": ("capscore_as_of", ("scoring",)),
    "pool": ("capscore_as_of", ("pool",)),
    "credit": ("capscore_as_of", ("credit", "review")),
    "validation": ("capscore_as_of", ("validation",)),
    "warehouse": ("capscore_as_of", ("warehouse",)),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=["generate", *STAGE_GROUPS])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat)
    parser.add_argument("--end", type=date.fromisoformat)
    parser.add_argument(
        "--full", action="store_true", help="recompute, keeping nothing from an earlier date"
    )
    args = parser.parse_args()
    root = DataRoot.resolve(args.data_root)
    if args.stage == "generate":
        from capscore.sample_data.generate import generate

        generate(Path(root.root), args.enterprises, args.seed, dirty=False, progress=print)
        return
    from pipelines.runner import execute, prepare_environment

    prepare_environment(root)
    job, groups = STAGE_GROUPS[args.stage]
    execute(root, job, args.start, args.end, print, groups=groups, full=args.full)


if __name__ == "__main__":
    main()
