"""The `schedkit` command line (typer + rich). Commands and exit codes follow DESIGN.md:
0 success (a valid solution, or a proof of infeasibility), 1 no valid solution, 2 bad input.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from schedkit.errors import FallbackWarning, InputError

if TYPE_CHECKING:
    from schedkit.kinds import KindSpec
    from schedkit.solvers.result import Result

app = typer.Typer(
    help="Declarative scheduling and placement, solved and independently validated.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from schedkit import __version__

        print(f"schedkit {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Declarative scheduling and placement, solved and independently validated."""


class KindGenerators(TyperGroup):
    """`schedkit generate KIND`: one command per kind with a generator, built on first use, so
    that `schedkit --help` and `--version` import no kind (and none of numpy, pydantic, ...)."""

    def _load(self) -> None:
        from schedkit.kinds import all_kinds, resolve

        if self.commands:
            return
        sub = typer.Typer()
        sub.callback()(lambda: None)  # a group even when only one kind has a generator
        for name, spec in sorted(all_kinds().items()):
            if spec.generator is not None:
                sub.command(name=name)(user_errors(resolve(spec.generator)))
        group = typer.main.get_command(sub)
        for name, command in getattr(group, "commands", {}).items():
            self.add_command(command, name)

    def list_commands(self, ctx: Any) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        self._load()
        return super().get_command(ctx, cmd_name)


generate_app = typer.Typer(
    cls=KindGenerators, help="Generate instances of a kind.", no_args_is_help=True
)
app.add_typer(generate_app, name="generate")

INFO_SECONDS = 10.0
"""Time `schedkit info` gives the kind's lower bound."""
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Turn InputError into one line on stderr and exit 2; anything else into exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            # escaped: "schedkit[scip]" or "x[3]" in a message is text, not rich markup
            err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if os.environ.get("SCHEDKIT_DEBUG"):
                raise
            err.print(
                f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
                "(set SCHEDKIT_DEBUG=1 for the traceback)",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def parse_params(items: list[str]) -> dict[str, Any]:
    """['cpsat.num_workers=4', 'formulation=disjunctive'] -> nested dict (values as YAML)."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InputError(f"--param {item!r} is not KEY=VALUE", field="param")
        node = params
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return params


def fmt(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "-"
    return (
        f"{value:.{digits}g}"
        if isinstance(value, float) and not value.is_integer()
        else (f"{int(value)}" if isinstance(value, float) else str(value))
    )


def print_result(result: Result) -> None:
    """A human summary of one result."""
    table = Table(show_header=False, box=None)
    gap = result.gap
    rows = [
        ("instance", f"{result.name} ({result.kind})"),
        ("status", result.status.value),
        ("objective", fmt(result.objective)),
        ("lower bound", fmt(result.lower_bound)),
        ("gap", "-" if gap is None else f"{100 * gap:.2f} %"),
        ("backend", result.backend),
        ("runtime", f"{result.runtime_s:.2f} s"),
        ("valid", "yes" if result.valid else "no"),
    ]
    if result.reason:
        rows.append(("reason", result.reason))
    for key, value in result.metrics.items():
        if isinstance(value, int | float | str):
            rows.append((key, fmt(value) if isinstance(value, float) else str(value)))
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", value)
    out.print(table)


def emit(text: str, output: Path | None, option: str = "--output") -> None:
    """Write `text` to `output` (see `write_output`), or to stdout when no file is given."""
    from schedkit.io.output import write_output

    if output is None:
        print(text, end="")
    else:
        write_output(output, text, option)
        out.print(f"wrote {output}")


def valid_solution(problem: Any, path: str) -> Any:
    """The solution in `path`, validated: an invalid one is an InputError (exit 2) that quotes
    the validator's first violation (`schedkit validate` lists them all)."""
    from schedkit.io.solution import load_solution
    from schedkit.validation import validate as run_validate

    sol = load_solution(problem, path)
    report = run_validate(problem, sol)
    if not report.feasible:
        first = report.violations[0]
        more = len(report.violations) - 1
        raise InputError(
            f"the solution is invalid: {first.code}: {first.message}"
            + (f" (and {more} more violation{'s' if more > 1 else ''})" if more else ""),
            file=path,
            hint="schedkit validate lists every violation",
        )
    return sol


def exit_code(result: Result) -> int:
    from schedkit.solvers.result import Status

    return 0 if result.valid or result.status is Status.INFEASIBLE else 1


Backend = Annotated[
    str,
    typer.Option(
        "--backend", "-b", help="auto, heuristic, cpsat, milp, or another backend the kind offers"
    ),
]
TimeLimit = Annotated[float, typer.Option("--time-limit", "-t", min=0.0, help="seconds")]
Threads = Annotated[int, typer.Option("--threads", min=1)]
Seed = Annotated[int, typer.Option("--seed")]
JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON object")]
Params = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="backend parameter KEY=VALUE (repeatable; dots nest)"),
]


@app.command()
@user_errors
def solve(
    path: Annotated[str, typer.Argument(help="instance file, or FILE#k for the k-th instance")],
    backend: Backend = "auto",
    time_limit: TimeLimit = 10.0,
    threads: Threads = 2,
    seed: Seed = 0,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="write SOLUTION.json")
    ] = None,
    as_json: JsonFlag = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="solver logs")] = False,
    param: Params = None,
) -> None:
    """Solve one instance and print the validated result."""
    from schedkit.io.loader import load
    from schedkit.io.output import check_output_path, json_text, write_output
    from schedkit.solvers.portfolio import solve as run_solve

    if out_file is not None:
        check_output_path(out_file, "--out")
    problem = load(path)
    if verbose:
        logging.basicConfig(format="%(name)s: %(message)s")
        logging.getLogger("schedkit").setLevel(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FallbackWarning)
        result = run_solve(
            problem,
            backend,
            time_limit=time_limit,
            threads=threads,
            seed=seed,
            verbose=verbose,
            params=parse_params(param or []),
        )
    for warning in caught:
        err.print(f"[yellow]warning:[/yellow] {warning.message}", highlight=False, soft_wrap=True)
    if out_file is not None:
        write_output(out_file, json_text(result.to_dict()) + "\n", "--out")
    if as_json:
        print(json_text(result.to_dict()))
    else:
        print_result(result)
    raise typer.Exit(exit_code(result))


@app.command()
@user_errors
def validate(
    path: Annotated[str, typer.Argument(help="instance file (FILE#k allowed)")],
    solution: Annotated[str, typer.Argument(help="solution JSON (bare, or a solve --json result)")],
    as_json: JsonFlag = False,
) -> None:
    """Check a solution against an instance: exit 0 if valid, 1 if not."""
    from schedkit.io.loader import load
    from schedkit.io.output import json_text
    from schedkit.io.solution import load_solution
    from schedkit.validation import validate as run_validate

    problem = load(path)
    report = run_validate(problem, load_solution(problem, solution))
    if as_json:
        print(json_text(report.to_dict()))
    elif report.feasible:
        out.print(f"[green]valid[/green]: objective {fmt(report.objective)}")
    else:
        out.print(f"[red]invalid[/red]: {len(report.violations)} violation(s)")
        for v in report.violations:
            out.print(f"  {v.code}: {v.message}", highlight=False)
    raise typer.Exit(0 if report.feasible else 1)


@app.command()
@user_errors
def info(
    path: Annotated[str, typer.Argument(help="instance file (FILE#k allowed)")],
    as_json: JsonFlag = False,
    model: Annotated[
        str | None,
        typer.Option("--model", help="milp or cpsat: size of the compiled model (--param applies)"),
    ] = None,
    param: Params = None,
) -> None:
    """Size, bounds and a summary of an instance (and of its compiled model with --model)."""
    from schedkit.io.loader import load
    from schedkit.io.output import json_text
    from schedkit.kinds import kind_of
    from schedkit.solvers.budget import Budget
    from schedkit.solvers.compiled import compile_model, model_options
    from schedkit.solvers.compiled.export import model_formats
    from schedkit.solvers.compiled.statistics import statistics
    from schedkit.solvers.milp.catalogue import available_solvers

    problem = load(path)
    spec = kind_of(problem)
    data: dict[str, Any] = {"kind": spec.name, "name": problem.name, **problem.summary()}
    data["lower_bound"] = spec.lower_bound(problem, Budget.start(INFO_SECONDS))
    data["backends"] = ["auto", *spec.backends]
    data["milp_solvers"] = available_solvers()
    if model is not None:
        options = model_options(problem, INFO_SECONDS, parse_params(param or []))
        data["model"] = statistics(compile_model(problem, model, options))
    data["exports"] = [*spec.exporters, *model_formats(spec)]
    if as_json:
        print(json_text(data))
        return
    table = Table(show_header=False, box=None)
    for key, value in data.items():
        table.add_row(f"[bold]{key}[/bold]", str(value))
    out.print(table)


@app.command()
@user_errors
def demo(
    folder: Annotated[Path, typer.Argument(help="folder of instance files")] = Path("instances"),
    time_limit: TimeLimit = 5.0,
) -> None:
    """Solve every instance file under FOLDER with `auto` and print a results table."""
    from schedkit.io.loader import load
    from schedkit.solvers.portfolio import solve as run_solve

    files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
    if not files:
        raise InputError("no instance files (*.yaml, *.json) found", file=str(folder))
    table = Table(title=f"schedkit auto, {time_limit:g} s limit")
    for col in ("instance", "kind", "status", "objective", "bound", "gap", "backend", "time"):
        table.add_column(col, justify="left" if col in ("instance", "kind") else "right")
    failures = 0
    for file in files:
        result = run_solve(load(str(file)), "auto", time_limit=time_limit)
        failures += exit_code(result)
        gap = result.gap
        table.add_row(
            str(file.relative_to(folder)),
            result.kind,
            result.status.value,
            fmt(result.objective),
            fmt(result.lower_bound),
            "-" if gap is None else f"{100 * gap:.1f}%",
            result.backend,
            f"{result.runtime_s:.2f}s",
        )
    out.print(table)
    raise typer.Exit(1 if failures else 0)


@app.command()
@user_errors
def bench(
    paths: Annotated[list[str], typer.Argument(help="files, folders, globs, FILE#k")],
    backend: Annotated[list[str] | None, typer.Option("--backend", "-b", help="repeatable")] = None,
    time_limit: Annotated[
        list[float] | None, typer.Option("--time-limit", "-t", help="seconds; repeatable")
    ] = None,
    seeds: Annotated[list[int] | None, typer.Option("--seeds", "--seed", help="repeatable")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="parallel runs")] = 1,
    threads: Annotated[int, typer.Option("--threads", min=1, help="threads per run")] = 1,
    executor: Annotated[str, typer.Option("--executor", help="local or ray")] = "local",
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster address")] = None,
    db: Annotated[str, typer.Option("--db", help="SQLite file (resumes)")] = "results.sqlite",
    reference: Annotated[
        list[str] | None,
        typer.Option(
            "--reference",
            help="best-known file (CSV name,value; wtopt*.txt; PSPLIB *opt/hrs/lb.sm)",
        ),
    ] = None,
    as_json: JsonFlag = False,
    param: Params = None,
) -> None:
    """Run instances x backends x limits x seeds in parallel; rows go to SQLite as they finish."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from schedkit.batch.report import summarise
    from schedkit.batch.runner import BenchConfig, run_bench
    from schedkit.io.output import json_text

    if executor not in ("local", "ray"):
        raise InputError(f"unknown executor {executor!r}", field="executor", hint="local or ray")
    config = BenchConfig(
        paths=paths,
        backends=backend or ["auto"],
        time_limits=time_limit or [10.0],
        seeds=seeds or [0],
        jobs=jobs,
        threads=threads,
        db=db,
        references=reference or [],
        executor=executor,
        address=address,
        params=parse_params(param or []),
    )
    failed = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, disable=as_json) as bar:
        task_id = bar.add_task("bench", total=None, failed=0)

        def progress(row: dict[str, Any], done: int, total: int) -> None:
            nonlocal failed
            failed += row["outcome"] != "ok"
            bar.update(task_id, completed=done, total=total, failed=failed)

        rows = run_bench(config, progress)
    if as_json:
        print(json_text(rows))
    else:
        print_summary(summarise(rows))
    raise typer.Exit(1 if any(r["outcome"] != "ok" for r in rows) else 0)


def print_summary(summary: list[dict[str, Any]]) -> None:
    from schedkit.batch.report import SUMMARY_COLUMNS

    table = Table()
    for col in SUMMARY_COLUMNS:
        table.add_column(col, justify="left" if col in ("set", "backend") else "right")
    for line in summary:
        table.add_row(
            *(
                fmt(line[c], 4)
                if isinstance(line[c], float)
                else ("-" if line[c] is None else str(line[c]))
                for c in SUMMARY_COLUMNS
            )
        )
    out.print(table)


@app.command()
@user_errors
def report(
    db: Annotated[
        str, typer.Option("--db", help="SQLite file written by bench")
    ] = "results.sqlite",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="report.md (plots are written beside it)")
    ] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="summary as CSV")] = None,
) -> None:
    """Summarise a bench database: per set and backend, optimal count, gaps, times; plots."""
    from schedkit.batch.report import (
        gap_vs_time,
        performance_profile,
        summarise,
        to_csv,
        to_markdown,
    )
    from schedkit.batch.store import Store
    from schedkit.io.output import check_output_path, write_output

    for path, option in ((csv_file, "--csv"), (output, "--output")):
        if path is not None:
            check_output_path(path, option)
    store = Store(db, readonly=True)
    rows = store.rows()
    store.close()
    summary = summarise(rows)
    print_summary(summary)
    if csv_file is not None:
        write_output(csv_file, to_csv(summary), "--csv")
    if output is not None:
        stem = output.with_suffix("")
        profile, scatter = Path(f"{stem}_profile.png"), Path(f"{stem}_gap_time.png")
        performance_profile(rows, profile)
        gap_vs_time(rows, scatter)
        write_output(
            output,
            f"# schedkit bench report\n\nDatabase: `{db}`, {len(rows)} runs.\n\n"
            + to_markdown(summary)
            + f"\n![performance profile]({profile.name})\n\n![gap vs time]({scatter.name})\n",
            "--output",
        )
        out.print(f"wrote {output}, {profile}, {scatter}")


@app.command()
@user_errors
def convert(
    path: Annotated[str, typer.Argument(help="instance in any format (FILE#k allowed)")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="YAML file (JSON for a .json name)")
    ] = None,
) -> None:
    """Write an instance (e.g. PSPLIB .sm, OR-Library wt#k) as schedkit YAML (or JSON)."""
    from schedkit.io.loader import load
    from schedkit.io.output import check_output_path, json_text
    from schedkit.io.yaml_out import problem_to_data, to_yaml

    if output is not None:
        check_output_path(output, "--output")
    problem = load(path)
    if output is not None and output.suffix.lower() == ".json":
        text = json_text(problem_to_data(problem), indent=None) + "\n"
    else:
        text = to_yaml(problem)
    emit(text, output)


@app.command()
@user_errors
def plot(
    path: Annotated[str, typer.Argument(help="instance file (FILE#k allowed)")],
    solution: Annotated[str, typer.Argument(help="solution JSON")],
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.png, .svg or .html")],
) -> None:
    """Draw a solution: Gantt, pipeline timeline, resource profile or load heatmap."""
    from schedkit.io.loader import load
    from schedkit.io.output import check_output_path
    from schedkit.plot import plot as draw

    check_output_path(output, "--output")
    problem = load(path)
    sol = valid_solution(problem, solution)
    written = draw(problem, sol, output)
    out.print(f"wrote {written}")


@app.command()
@user_errors
def export(
    path: Annotated[str, typer.Argument(help="instance file (FILE#k allowed)")],
    fmt_name: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="a format of the kind (`schedkit info` lists them), or the compiled model: "
            "lp, mps (MILP) or cpsat (CP-SAT text proto)",
        ),
    ],
    solution: Annotated[
        str | None, typer.Argument(help="solution JSON (none for lp, mps, cpsat)")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", "-t", min=0.0, help="seconds to build a model")
    ] = INFO_SECONDS,
    param: Params = None,
) -> None:
    """Export a solution to another tool's format, or the compiled MILP / CP-SAT model."""
    from schedkit.io.loader import load
    from schedkit.io.output import check_output_path
    from schedkit.kinds import kind_of, resolve
    from schedkit.solvers.compiled import model_options
    from schedkit.solvers.compiled.export import MODEL_FORMATS, export_model

    if output is not None:
        check_output_path(output, "--output")
    problem = load(path)
    if fmt_name in MODEL_FORMATS:
        options = model_options(problem, time_limit, parse_params(param or []))
        emit(export_model(problem, fmt_name, options), output)
        return
    spec = kind_of(problem)
    if fmt_name not in spec.exporters:
        known = ", ".join([*spec.exporters, *MODEL_FORMATS])
        raise InputError(
            f"no export format {fmt_name!r} for kind {spec.name!r}",
            field="format",
            hint=f"{spec.name}: {known}",
        )
    if solution is None:
        raise InputError(f"format {fmt_name!r} exports a solution: give SOLUTION.json")
    sol = valid_solution(problem, solution)
    emit(resolve(spec.exporters[fmt_name])(problem, sol), output)


@app.command()
@user_errors
def replay(
    path: Annotated[str, typer.Argument(help="pipeline or placement instance")],
    solution: Annotated[str, typer.Argument(help="validated solution JSON")],
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "auto",
    iters: Annotated[int, typer.Option("--iters", min=1, help="timed iterations")] = 5,
    hidden: Annotated[
        int | None,
        typer.Option("--hidden", min=1, help="pipeline block / expert FFN input width"),
    ] = None,
    seq: Annotated[
        int | None, typer.Option("--seq", min=1, help="pipeline sequence length")
    ] = None,
    batch: Annotated[int | None, typer.Option("--batch", min=1, help="microbatch size")] = None,
    runtime: Annotated[
        str | None,
        typer.Option(
            "--runtime", help="pipeline: schedkit (own executor) or torch (torch's pipelining)"
        ),
    ] = None,
    processes: Annotated[
        bool | None,
        typer.Option(
            "--processes/--one-process",
            help="placement: one process per GPU, or all in one (default: per GPU on CUDA)",
        ),
    ] = None,
    share_gpu: Annotated[
        bool,
        typer.Option(
            "--share-gpu",
            help="with fewer CUDA GPUs than ranks, run the ranks time-sharing them (gloo)",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Execute a pipeline schedule or expert placement for real with PyTorch."""
    from schedkit.errors import BackendUnavailable
    from schedkit.execute.common import check_device
    from schedkit.io.loader import load
    from schedkit.io.output import json_text
    from schedkit.kinds import kind_of

    check_device(device)
    problem = load(path)
    options = replay_options(kind_of(problem), {"runtime": runtime, "processes": processes})
    sol = valid_solution(problem, solution)
    try:
        from schedkit.execute import replay as run_replay

        sizes = {
            k: v for k, v in {"hidden": hidden, "seq": seq, "batch": batch}.items() if v is not None
        }
        if share_gpu:
            options["share_gpu"] = True
        result = run_replay(problem, sol, device=device, iters=iters, **sizes, **options)
    except BackendUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        print(json_text(result.to_dict()))
    else:
        out.print(result.summary())


FLAGS = {"runtime": "--runtime", "processes": "--processes / --one-process"}


def replay_options(spec: KindSpec, given: dict[str, Any]) -> dict[str, Any]:
    """The kind-specific options given on the command line, checked against the kind's replay."""
    from schedkit.kinds import all_kinds

    if spec.replay is None:
        kinds = ", ".join(sorted(k for k, s in all_kinds().items() if s.replay))
        raise InputError(f"no replay for {spec.name} solutions (replay runs {kinds})", field="kind")
    options = {k: v for k, v in given.items() if v is not None}
    for name in options:
        if name not in spec.replay.options:
            takes = ", ".join(FLAGS.get(o, o) for o in spec.replay.options) or "none"
            raise InputError(
                f"{FLAGS.get(name, name)} is not an option of a {spec.name} replay",
                field=name,
                hint=f"its options: {takes}",
            )
    return options


@app.command()
@user_errors
def profile(
    devices: Annotated[int, typer.Option("--devices", min=1, help="pipeline ranks")] = 2,
    microbatches: Annotated[int, typer.Option("--microbatches", min=1)] = 8,
    chunks: Annotated[int, typer.Option("--chunks", min=1, max=2)] = 1,
    hidden: Annotated[int | None, typer.Option("--hidden", min=1)] = None,
    seq: Annotated[int | None, typer.Option("--seq", min=1)] = None,
    batch: Annotated[int | None, typer.Option("--batch", min=1)] = None,
    layers: Annotated[int | None, typer.Option("--layers", min=1, help="blocks per stage")] = None,
    device: Annotated[str, typer.Option("--device", help="cpu, cuda or auto")] = "cpu",
    iters: Annotated[int, typer.Option("--iters", min=1, help="timed iterations")] = 5,
    objective: Annotated[
        str, typer.Option("--objective", help="span or makespan (of the instance)")
    ] = "span",
    memory_limit: Annotated[
        float | None, typer.Option("--memory-limit", help="activation memory per device")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="pipeline YAML")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Measure F, B, W and fused BW of the built-in block per stage (median and spread over
    the timed iterations) and write the pipeline instance they define."""
    from schedkit.errors import BackendUnavailable
    from schedkit.execute.common import check_device
    from schedkit.io.output import check_output_path, write_output

    check_device(device)
    if output is not None:
        check_output_path(output, "--output")
    if objective not in ("span", "makespan"):
        raise InputError(
            f"unknown objective {objective!r}", field="objective", hint="span or makespan"
        )
    if memory_limit is not None and not (0 < memory_limit < math.inf):
        raise InputError(
            f"must be a finite number > 0, got {memory_limit!r}", field="--memory-limit"
        )
    try:
        from schedkit.execute import write_pipeline_yaml
        from schedkit.execute.profile import profile_report

        report = profile_report(
            devices,
            microbatches,
            chunks=chunks,
            hidden=hidden,
            seq=seq,
            batch=batch,
            layers=layers,
            iters=iters,
            device=device,
            objective=objective,
            memory_limit=memory_limit,
        )
    except BackendUnavailable as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    text = write_pipeline_yaml(report.problem, comment=report.comment())
    if as_json:
        if output is not None:
            write_output(output, text, "--output")
        print(json.dumps(report.to_dict(), indent=2))
        return
    emit(text, output)
    console = out if output is not None else err
    console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
