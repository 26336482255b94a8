"""Time-limit overrun per kind x backend x size: `runtime_s - time_limit` of `schedkit solve`.

Each case runs `schedkit solve FILE --backend B --time-limit T --json` in a fresh process, so
parsing, the bound, model building and search all count, exactly as a user runs it. Reported:
runtime_s (what solve() measured from its budget's start), the process wall (adds Python start
and loading the file), the overrun against the contract (runtime_s <= T + 1 s), peak RSS, and
whether a valid answer came back. Instances are generated into a temporary folder.

    .venv/bin/python benchmarks/overrun.py [--time-limit 2] [--only tardiness,rcpsp]
        [--out benchmarks/results/overrun.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

SCHEDKIT = str(Path(sys.executable).with_name("schedkit"))


def pipeline_yaml(folder: Path, p: int, m: int) -> Path:
    path = folder / f"pipeline-p{p}-m{m}.yaml"
    data = {
        "kind": "pipeline",
        "name": path.stem,
        "devices": p,
        "microbatches": m,
        "times": {"F": 1.0, "B": 1.1, "W": 0.6},
        "comm": 0.05,
        "memory": {"F": 1.0, "B": -0.5, "W": -0.5, "limit": float(p)},
    }
    path.write_text(yaml.safe_dump(data))
    return path


def generate(folder: Path, kind: str, args: list[str], name: str) -> Path:
    path = folder / f"{name}.yaml"
    subprocess.run([SCHEDKIT, "generate", kind, *args, "-o", str(path)], check=True)
    return path


def instances(folder: Path) -> list[tuple[str, Path]]:
    """(kind, file): the sizes of issue 11, with the samples' sizes for contrast."""
    return [
        (
            "tardiness",
            generate(
                folder,
                "tardiness",
                ["--n", "5000", "--tf", "0.6", "--rdd", "0.4", "--weighted"],
                "wt5000",
            ),
        ),
        (
            "tardiness",
            generate(
                folder,
                "tardiness",
                ["--n", "1000", "--tf", "0.6", "--rdd", "0.4", "--weighted"],
                "wt1000",
            ),
        ),
        ("rcpsp", generate(folder, "rcpsp", ["--n", "1000", "-m", "4"], "rcpsp1000")),
        ("rcpsp", generate(folder, "rcpsp", ["--n", "120", "-m", "4"], "rcpsp120")),
        ("pipeline", pipeline_yaml(folder, 64, 512)),
        ("pipeline", pipeline_yaml(folder, 16, 64)),
        (
            "placement",
            generate(
                folder,
                "placement",
                ["--experts", "512", "--layers", "8", "--redundant", "64", "--nodes", "8"],
                "place512",
            ),
        ),
    ]


def run_case(path: Path, backend: str, limit: float) -> dict[str, object]:
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        cmd = [
            "/usr/bin/time",
            "-q",
            "-f",
            "%M",
            "-o",
            rss_file.name,
            SCHEDKIT,
            "solve",
            str(path),
            "-b",
            backend,
            "-t",
            str(limit),
            "--json",
            "--threads",
            "1",
        ]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit + 600)
        wall = time.perf_counter() - start
        rss_kib = float((rss_file.read().strip().splitlines() or ["0"])[-1])
    row: dict[str, object] = {"wall_s": wall, "rss_mib": rss_kib / 1024, "exit": proc.returncode}
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        row["error"] = (proc.stderr.strip().splitlines() or ["no output"])[-1][:120]
        return row
    row.update(
        runtime_s=data["runtime_s"],
        valid=data["valid"],
        solved_by=data["backend"],
        status=data["status"],
    )
    return row


def table(rows: list[dict[str, object]], limit: float) -> str:
    head = (
        "| instance | backend | runtime_s | overrun s | process wall s | peak RSS MiB "
        "| valid | answered by |\n|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        rt = r.get("runtime_s")
        over = f"{float(rt) - limit:+.2f}" if isinstance(rt, float) else "-"
        rt_s = f"{rt:.2f}" if isinstance(rt, float) else f"error: {r.get('error')}"
        lines.append(
            f"| {r['instance']} | {r['backend']} | {rt_s} | {over} | {float(r['wall_s']):.1f} "
            f"| {float(r['rss_mib']):.0f} | {r.get('valid', '-')} | {r.get('solved_by', '-')} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--time-limit", type=float, default=2.0)
    parser.add_argument("--only", default="", help="comma-separated kinds")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    import schedkit

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, path in instances(Path(tmp)):
            if only and kind not in only:
                continue
            for backend in ["auto", *schedkit.get_kind(kind).backends]:
                row = {
                    "instance": path.stem,
                    "backend": backend,
                    **run_case(path, backend, args.time_limit),
                }
                print(json.dumps(row), flush=True)
                rows.append(row)
    text = table(rows, args.time_limit)
    print(text)
    if args.out:
        args.out.write_text(
            f"Time limit {args.time_limit:g} s, `--threads 1`, one process per case.\n\n"
            + text
            + "\n"
        )


if __name__ == "__main__":
    main()
