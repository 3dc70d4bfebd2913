"""The validation report: named checks, each passed or failed with its problems; JSON and HTML."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MAX_PROBLEMS = 50  # per check, in the report; the count is always exact


@dataclass
class CheckResult:
    name: str  # e.g. "integrity.manifest", "training.gradients"
    ok: bool
    summary: str = ""
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Problems:
    """Collects a check's problems: keeps the first `MAX_PROBLEMS` messages, counts them all."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.count = 0

    def add(self, message: str) -> None:
        self.count += 1
        if len(self.messages) < MAX_PROBLEMS:
            self.messages.append(message)

    def __bool__(self) -> bool:
        return self.count > 0

    def result(self, name: str, summary_ok: str, summary_bad: str = "", **details: Any) -> CheckResult:
        ok = self.count == 0
        summary = summary_ok if ok else (summary_bad or f"{self.count} problem(s)")
        return CheckResult(name, ok, summary, list(self.messages), self.count, dict(details))


def skipped(name: str, why: str) -> CheckResult:
    """A check that could not run because an earlier one failed: it fails too, saying why."""
    return CheckResult(name, False, f"not run: {why}", [], 0, {}, skipped=True)


def unavailable(name: str, why: str) -> CheckResult:
    """A check that could not run for a reason outside the shards (no torch, no image members).

    It is not a failure of the shards: counted as skipped, with its reason (`--strict` fails on it).
    """
    return CheckResult(name, True, f"skipped: {why}", [], 0, {}, skipped=True)


@dataclass
class ValidationReport:
    target: str
    checks: list[CheckResult] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed_checks(self) -> list[str]:
        return [c.name for c in self.checks if not c.ok]

    @property
    def skipped_checks(self) -> list[str]:
        """Checks that could not run (not failures of the shards), e.g. torch missing."""
        return [c.name for c in self.checks if c.ok and c.skipped]

    @property
    def skip_reasons(self) -> list[str]:
        """Why checks were skipped, each reason once, in order."""
        reasons = [c.summary.removeprefix("skipped: ") for c in self.checks if c.ok and c.skipped]
        return list(dict.fromkeys(reasons))

    def add(self, check: CheckResult) -> CheckResult:
        self.checks.append(check)
        return check

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ok": self.ok,
            "failed_checks": self.failed_checks,
            "skipped_checks": self.skipped_checks,
            "checks": [c.to_dict() for c in self.checks],
            **self.info,
        }

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        json_path, html_path = folder / "report.json", folder / "report.html"
        json_path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n",
                             encoding="utf-8")
        html_path.write_text(render_html(self), encoding="utf-8")
        return json_path, html_path

    def summary_lines(self) -> list[str]:
        lines = []
        for check in self.checks:
            mark = "SKIP" if check.skipped else ("PASS" if check.ok else "FAIL")
            lines.append(f"{mark}  {check.name}: {check.summary}")
            for problem in check.problems[:5]:
                lines.append(f"        - {problem}")
            if check.problem_count > 5:
                lines.append(f"        ... {check.problem_count - 5} more in the report")
        return lines


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.5em} .ok{color:#176317} .bad{color:#a11} table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
code,pre{background:#f5f5f5;padding:.1em .3em;white-space:pre-wrap;word-break:break-word}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def render_html(report: ValidationReport) -> str:
    verdict = ("<span class=ok>all checks passed</span>" if report.ok and not report.skipped_checks else
               f"<span>passed, but skipped: {_esc('; '.join(report.skip_reasons))}</span>" if report.ok else
               f"<span class=bad>failed: {_esc(', '.join(report.failed_checks))}</span>")
    rows = []
    for c in report.checks:
        state = ("<span>skipped</span>" if c.skipped and c.ok else
                 "<span class=ok>pass</span>" if c.ok else "<span class=bad>fail</span>")
        problems = "".join(f"<li><code>{_esc(p)}</code></li>" for p in c.problems)
        hidden = c.problem_count - len(c.problems)
        more = f"<li>… {hidden} more</li>" if hidden > 0 else ""
        details = f"<pre>{_esc(json.dumps(c.details, indent=1, default=str))}</pre>" if c.details else ""
        rows.append(f"<tr><td>{_esc(c.name)}</td><td>{state}</td><td>{_esc(c.summary)}"
                    f"<ul>{problems}{more}</ul>{details}</td></tr>")
    gens = "".join(
        f"<tr><td>{_esc(g.get('key'))}</td><td><pre>{_esc(g.get('prompt'))}</pre></td>"
        f"<td><pre>{_esc(g.get('output'))}</pre></td></tr>"
        for g in report.info.get("generations", [])
    )
    gen_table = (f"<h2>Generations</h2><table><tr><th>sample</th><th>prompt</th><th>output</th></tr>"
                 f"{gens}</table>" if gens else "")
    info = {k: v for k, v in report.info.items() if k != "generations"}
    return (f"<!doctype html><html><head><meta charset=utf-8><title>loom validation</title>"
            f"<style>{_CSS}</style></head><body><h1>loom validation of {_esc(report.target)}</h1>"
            f"<p>{verdict}</p><table><tr><th>check</th><th>result</th><th>details</th></tr>{''.join(rows)}"
            f"</table>{gen_table}<h2>Run</h2><pre>{_esc(json.dumps(info, indent=1, default=str))}</pre>"
            f"</body></html>\n")
