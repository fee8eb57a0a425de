"""Runtime evidence items for the Turing Institute TEA platform (evidence format v0.1).

One item per decided figure of each claim, one JSON object per line: v0.1 takes one item per
request and keeps them append-only, so each line can be posted as it is. ``claimId`` is the id the
claim's PROPERTY_CLAIM element has in the TEA case export (``--to tea``), so items attach to the
case exported from the same report. The format rejects unknown top-level fields, so everything
else (the interval, the counts, an Inspect log's hash, staleness) travels in ``provenance``, whose
extra keys TEA keeps verbatim.

Only supported, refuted and inconclusive claims are decided; errors, skips and undeveloped parts
export nothing. Assumptions and solutions are not PROPERTY_CLAIM elements in TEA, so claims on them
export nothing either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from pytest_safecase.case.result import CaseResult, NodeResult, TestOutcome
from pytest_safecase.records import RATE_KINDS
from pytest_safecase.report.tea import _timestamp, tea_document
from pytest_safecase.verdict import Verdict

FORMAT_VERSION = "0.1"
SOURCE_SYSTEM = "pytest-safecase"
TEA_VERDICTS = {
    Verdict.SUPPORTED: "PASS",
    Verdict.REFUTED: "FAIL",
    Verdict.INCONCLUSIVE: "DEGRADED",
}
"""Inconclusive evidence is DEGRADED: not a failure shown, but no longer support."""
_MAX_TEXT = 500  # TEA's bound on any string inside provenance
_MAX_METRIC = 200


def render_tea_evidence(result: CaseResult, run_info: dict[str, Any]) -> str:
    """Every item as JSON Lines, ready to post one by one."""
    return "".join(
        json.dumps(item, ensure_ascii=False) + "\n" for item in tea_evidence_items(result, run_info)
    )


def tea_evidence_items(result: CaseResult, run_info: dict[str, Any]) -> list[dict[str, Any]]:
    """The v0.1 items for every decided claim, in tree order."""
    element_ids = _claim_elements(tea_document(result, run_info)["tree"])
    items: list[dict[str, Any]] = []
    for node in result.claims():
        if node.verdict not in TEA_VERDICTS or not node.in_scope:
            continue
        for claim_id in element_ids.get(node.id, []):
            for test in node.tests:
                items.extend(_items(claim_id, node, test, run_info))
    return items


def _claim_elements(element: dict[str, Any]) -> dict[str, list[str]]:
    """Node id -> the ids of its PROPERTY_CLAIM (or top GOAL) elements in the TEA export."""
    found: dict[str, list[str]] = {}
    stack = [element]
    while stack:
        current = stack.pop()
        if current["type"] in ("PROPERTY_CLAIM", "GOAL"):
            found.setdefault(current["name"], []).append(current["id"])
        stack.extend(current["children"])
    return found


def _items(
    claim_id: str, node: NodeResult, test: TestOutcome, run_info: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    if test.verdict not in TEA_VERDICTS:
        return
    # Items are JSON: each record in its report form, the shape TEA's provenance copies.
    decided = [r.to_dict() for r in test.evidence if r.verdict in TEA_VERDICTS]
    worst_recorded = [Verdict(record["verdict"]) for record in decided]
    for record in decided:
        yield _item(claim_id, node, test, run_info, record)
    if not decided or all(test.verdict is not verdict for verdict in worst_recorded):
        # A plain assertion decided the test (or overruled its figures): say so on its own.
        yield _item(claim_id, node, test, run_info, None)


def _item(
    claim_id: str,
    node: NodeResult,
    test: TestOutcome,
    run_info: dict[str, Any],
    record: dict[str, Any] | None,
) -> dict[str, Any]:
    provenance: dict[str, Any] = {
        "check": _text(test.nodeid),
        "runId": _text(run_info.get("run_id") or f"pytest-safecase@{run_info.get('started')}"),
        "commit": _text(run_info.get("git_commit") or "unknown"),
        "checkVersion": _text(str(run_info.get("plugin_version") or "unknown")),
        "claim": _text(node.id),
    }
    item: dict[str, Any] = {"formatVersion": FORMAT_VERSION, "claimId": claim_id}
    evaluated = run_info.get("finished")
    if record is None:
        item["metricName"] = "test-outcome"
        verdict = test.verdict
        if test.message:
            provenance["message"] = _text(test.message)
    else:
        verdict = Verdict(record["verdict"])
        item.update(_figure(record))
        provenance.update(_record_provenance(record))
        evaluated = record.get("evaluated_at") or evaluated
    item["verdict"] = TEA_VERDICTS[verdict]
    item["sourceSystem"] = SOURCE_SYSTEM
    item["provenance"] = provenance
    item["evaluatedAt"] = _timestamp(evaluated)
    return item


def _figure(record: dict[str, Any]) -> dict[str, Any]:
    """metricName, value and threshold: for a rate, the interval end the verdict rests on."""
    name = _slug(record.get("name") or record.get("kind") or "figure")
    if record.get("kind") in RATE_KINDS:
        side = "lower" if record.get("direction") == "at_least" else "upper"
        value = record.get(side)
        figure = {"metricName": f"{name}-{side}-bound"[:_MAX_METRIC], "value": value}
        figure["threshold"] = record.get("threshold")
    else:
        figure = {"metricName": name[:_MAX_METRIC], "value": record.get("value")}
        least = record.get("at_least")
        figure["threshold"] = least if least is not None else record.get("at_most")
    return {key: value for key, value in figure.items() if _finite(value) or key == "metricName"}


def _record_provenance(record: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key in ("kind", "direction", "method"):
        if record.get(key) is not None:
            extra[key] = _text(str(record[key]))
    for key in ("estimate", "successes", "trials", "confidence", "lower", "upper"):
        if _finite(record.get(key)):
            extra[key] = record[key]
    if record.get("stale"):
        extra["stale"] = _text(record["stale"])
    source = record.get("provenance")
    if isinstance(source, dict):
        for key, out in (
            ("source", "evidenceSource"),
            ("task", "task"),
            ("model", "model"),
            ("run_id", "sourceRunId"),
            ("log_sha256", "logSha256"),
        ):
            if source.get(key) is not None:
                extra[out] = _text(str(source[key]))
        revision = source.get("revision")
        if isinstance(revision, dict) and revision.get("commit"):
            extra["sourceCommit"] = _text(str(revision["commit"]))
    return extra


def _slug(text: str) -> str:
    """kebab-case, as TEA's metric names are by convention."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "figure"


def _text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def _finite(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == value
        and abs(value) != float("inf")
    )
