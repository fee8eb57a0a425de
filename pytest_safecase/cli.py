"""The ``safecase`` command: validate a case file, show, render and compare reports, plan trials.

Exit status: 0 fine, 1 the thing checked failed (invalid case, a regression), 2 a usage error
(bad arguments, an unreadable report).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pytest_safecase.case import IMPLICIT_ROOT, check_case, errors
from pytest_safecase.case.problems import relative_path
from pytest_safecase.compare import diff_results, diff_table
from pytest_safecase.report import RENDERERS, ReportError, load_report
from pytest_safecase.report._write import Renderer
from pytest_safecase.report.terminal import summary_line, tree_lines

OK, FAILED, USAGE = 0, 1, 2


class _UsageError(Exception):
    """Bad input the user can fix: printed as 'safecase: error: ...', exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args, sys.stdout))
    except (_UsageError, ReportError) as exc:
        print(f"safecase: error: {exc}", file=sys.stderr)
        return USAGE
    except BrokenPipeError:  # e.g. `safecase render ... | head`
        return OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safecase", description="Safety cases as pytest tests: check files and reports."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a safety-case YAML file")
    validate.add_argument(
        "file", type=Path, metavar="FILE", help="the case file, e.g. safecase.yaml"
    )
    validate.set_defaults(run=_validate)

    show = commands.add_parser("show", help="print a report's argument tree")
    show.add_argument("report", type=Path, metavar="REPORT.json", help="a safecase.json report")
    show.add_argument("--width", type=int, default=100, help="line width (default 100)")
    show.set_defaults(run=_show)

    render = commands.add_parser("render", help="turn a report into another format")
    render.add_argument("report", type=Path, metavar="REPORT.json", help="a safecase.json report")
    render.add_argument(
        "--to", required=True, choices=sorted(_renderers()), dest="fmt", help="the format"
    )
    render.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    render.set_defaults(run=_render)

    diff = commands.add_parser("diff", help="compare two reports; exit 1 if a claim regressed")
    diff.add_argument("old", type=Path, metavar="OLD.json", help="the earlier run's report")
    diff.add_argument("new", type=Path, metavar="NEW.json", help="the later run's report")
    diff.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="ignore moves of a bound, value or risk total of at most this much (default 0)",
    )
    diff.add_argument(
        "--within-noise",
        action="store_true",
        help="a rate's bound moving toward its threshold is no regression when each run's "
        "observed rate lies inside the other run's interval (off by default)",
    )
    diff.set_defaults(run=_diff)

    plan = commands.add_parser(
        "plan",
        help="trials needed to decide a rate claim",
        description="Trials needed to decide 'rate >= THRESHOLD' (--at-least) or "
        "'rate <= THRESHOLD' (--at-most) when the true rate is TRUE_RATE. Without either "
        "flag the claim is 'at least', and only when every true rate is above the threshold.",
    )
    plan.add_argument("threshold", type=float, help="the claim's threshold, e.g. 0.9")
    plan.add_argument(
        "true_rates",
        type=float,
        nargs="+",
        metavar="TRUE_RATE",
        help="a true rate to plan for (several give a table)",
    )
    direction = plan.add_mutually_exclusive_group()
    direction.add_argument(
        "--at-least", action="store_true", help="the claim is rate >= threshold (the default)"
    )
    direction.add_argument("--at-most", action="store_true", help="the claim is rate <= threshold")
    plan.add_argument(
        "--confidence", type=float, default=0.95, help="the interval's confidence (default 0.95)"
    )
    plan.add_argument(
        "--power",
        type=float,
        default=0.8,
        help="the chance the plan reaches its verdict at the true rate (default 0.8)",
    )
    plan.set_defaults(run=_plan)
    return parser


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    case, problems = check_case(args.file)
    for problem in problems:
        print(problem, file=out)
    failed = errors(problems)
    if failed:
        count = f"{len(failed)} problem{'s' if len(failed) != 1 else ''}"
        print(f"{relative_path(args.file)}: {count}", file=out)
        return FAILED
    kinds = Counter(node.type.value for node in case.nodes.values())
    described = ", ".join(f"{n} {_plural(kind.lower(), n)}" for kind, n in kinds.items())
    top = case.root_goals()
    root = top[0] if len(top) == 1 else f"{IMPLICIT_ROOT} (implicit, over {', '.join(top)})"
    files = f" in {len(case.files)} files" if len(case.files) > 1 else ""
    warned = f"; {len(problems)} warning{'s' if len(problems) != 1 else ''}" if problems else ""
    print(
        f"{relative_path(args.file)}: valid safety case, root {root}: {described}{files}{warned}",
        file=out,
    )
    return OK


def _plural(noun: str, count: int) -> str:
    if count == 1:
        return noun
    return noun[:-1] + "ies" if noun.endswith("y") else noun + "s"


def _show(args: argparse.Namespace, out: TextIO) -> int:
    result, _ = load_report(args.report)
    for text, _markup in tree_lines(result, width=args.width):
        print(text, file=out)
    print(summary_line(result)[0], file=out)
    return OK


def _render(args: argparse.Namespace, out: TextIO) -> int:
    result, run_info = load_report(args.report)
    text = _renderers()[args.fmt](result, run_info)
    if args.output is None:
        out.write(text)
        return OK
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output}", file=out)
    return OK


def _renderers() -> dict[str, Renderer]:
    """Every report format, and TEA runtime evidence items (JSON Lines, one item per line)."""
    from pytest_safecase.report.tea_evidence import render_tea_evidence

    return {**RENDERERS, "tea-evidence": render_tea_evidence}


def _diff(args: argparse.Namespace, out: TextIO) -> int:
    if args.tolerance < 0:
        raise _UsageError("--tolerance must not be negative")
    old, _ = load_report(args.old)
    new, _ = load_report(args.new)
    changes = diff_results(old, new, tolerance=args.tolerance, within_noise=args.within_noise)
    print(diff_table(old, new, changes), file=out)
    return FAILED if any(change.regression for change in changes) else OK


def _plan(args: argparse.Namespace, out: TextIO) -> int:
    from pytest_safecase.stats import plan, plan_table  # scipy-heavy: load only here

    direction = "at_most" if args.at_most else "at_least"
    below = [rate for rate in args.true_rates if rate < args.threshold]
    if not (args.at_least or args.at_most) and below:
        raise _UsageError(
            f"true rate {below[0]:g} is below the threshold {args.threshold:g}: say "
            f"--at-most to plan 'rate <= {args.threshold:g}', or --at-least to plan refuting "
            f"'rate >= {args.threshold:g}'"
        )
    try:
        plans = [
            plan(
                args.threshold,
                rate,
                direction=direction,
                confidence=args.confidence,
                power=args.power,
            )
            for rate in args.true_rates
        ]
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    print(str(plans[0]) if len(plans) == 1 else plan_table(plans), file=out)
    return OK


if __name__ == "__main__":
    sys.exit(main())
