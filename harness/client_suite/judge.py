"""Judging one client run: the records the adapter reported for its stream
and the requests the scenario server logged for its TOKEN, against the
scenario (docs/client-suite.md, "Verdicts").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.client_suite.scenarios import ClientVariant, expand
from harness.core.records import Record, diff, line, restrict, shorten
from harness.core.results import FAIL, INFORMATIONAL, PASS, Result
from harness.core.rules import RULES

DELAY_SLACK_MS = 25          # allowed below an expect-delay MIN (timer granularity)
STDERR_SHOW = 2048


@dataclass
class Observation:
    """Everything seen of one run, filled in by the runner."""

    variant: ClientVariant
    stream: str
    url: str
    base: str
    origin: str
    reports: list[str]                   # the kinds the adapter reports
    fetch: bool = False                   # the adapter's hello says "fetch": true
    records: list[Record] = field(default_factory=list)   # every report, normalised
    dropped: int = 0                      # reports beyond the memory bound, not kept
    requests: list[dict] = field(default_factory=list)    # request and unexpected log lines
    close_sent: bool = False
    closed_early: bool = False            # close-after: closed while the server went on
    close_server_t: float | None = None   # when close was sent, on the server's clock (ms)
    closed_wait: float = 0.0              # seconds allowed for `closed`
    timeout: str | None = None            # what was still missing at the time limit
    adapter_failure: str | None = None    # the adapter died, hung or wrote garbage
    not_run: str | None = None            # the run was never started, and why
    stderr: list[str] = field(default_factory=list)       # adapter stderr lines naming the stream
    stderr_tail: str = ""                 # the adapter's stderr tail, for adapter failures
    seconds: float = 0.0


def expected_records(v: ClientVariant, reports: list[str], base: str, origin: str) -> list[Record]:
    return restrict(expand(v.scenario.records, base, origin), reports)  # type: ignore[arg-type]


def close_point(v: ClientVariant, reports: list[str]) -> int | None:
    """How many of the records the adapter reports must have arrived before
    the harness closes the stream: the scenario's `close-after N` counts the
    records of its whole expect list, and an adapter that does not report
    some kinds (`open`) sees fewer of them before the N-th (at least 1)."""
    n = v.scenario.close_after
    if n is None:
        return None
    return max(1, len(restrict(v.scenario.records[:n], reports)))


def describe(r: Record) -> str:
    """A short human form of a record: `event data="b" id="7"`, `error 2`."""
    kind = r.get("kind")
    if kind == "event":
        text = f'event data={shorten(_q(r.get("data")), 60)}'
        if r.get("type") != "message":
            text += f" type={_q(r.get('type'))}"
        if r.get("lastEventId"):
            text += f" id={_q(r.get('lastEventId'))}"
        return text
    if kind == "error":
        return f"error {r.get('readyState')}"
    if kind == "failure":
        return f"failure {_q(r.get('message'))}"
    return str(kind)


def _rel(path: str) -> str:
    from pathlib import Path
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def _q(v: object) -> str:
    import json
    return json.dumps(v, ensure_ascii=True)


# ---------------------------------------------------------------- progress


def records_so_far(obs: Observation) -> list[Record]:
    """The reports of the stream before `closed`, restricted to the reported
    kinds (failures always kept): what is compared with the expectation."""
    keep = set(obs.reports) | {"failure"}
    out = []
    for r in obs.records:
        if r["kind"] == "closed":
            break
        if r["kind"] in keep:
            out.append(r)
    return out


def missing(obs: Observation, expected: list[Record], steps_done: set[int]) -> str:
    """What a run that timed out was still waiting for."""
    conns = obs.variant.scenario.connections
    reqs = [q for q in obs.requests if q.get("ev") == "request"]
    parts = []
    if not reqs:
        parts.append("no request arrived")
    elif len(reqs) < len(conns):
        parts.append(f"connection {len(reqs) + 1} never came")
    else:
        late = [i + 1 for i in range(len(conns)) if i not in steps_done]
        if late:
            parts.append(f"connection {late[0]} never played to its end")
    got = records_so_far(obs)
    if len(got) < len(expected) and got == expected[:len(got)]:
        n = len(got)
        parts.append(f"expected record {n + 1} ({describe(expected[n])}) never arrived")
    return "; ".join(parts) or "the run did not settle"


# ---------------------------------------------------------------- verdict


def _record_problems(obs: Observation, expected: list[Record]) -> tuple[list[str], list[Record]]:
    problems: list[str] = []
    actual = records_so_far(obs)
    failures = [r for r in actual if r["kind"] == "failure"]
    if failures:
        problems.append(f"the adapter reported a failure: {shorten(str(failures[0].get('message')), 200)}")
    if actual != expected:
        n = next((i for i, (a, b) in enumerate(zip(actual, expected)) if a != b),
                 min(len(actual), len(expected)))
        if n < len(expected) and actual == expected[:n]:
            if not obs.timeout:
                problems.append(f"expected record {n + 1} ({describe(expected[n])}) never arrived")
        elif n == len(expected):
            problems.append(f"an extra record after the expected ones: {describe(actual[n])}")
        else:
            problems.append(f"record {n + 1} differs: expected {describe(expected[n])}, "
                            f"got {describe(actual[n])}")
    if obs.dropped:
        problems.append(f"{obs.dropped} more reports than the harness keeps")
    if "closed" in obs.reports and obs.close_sent and not obs.adapter_failure:
        closed = [i for i, r in enumerate(obs.records) if r["kind"] == "closed"]
        if not closed:
            problems.append(f"no closed report within {obs.closed_wait:g} s after close")
        else:
            after = obs.records[closed[0] + 1:]
            if len(closed) > 1:
                problems.append(f"closed was reported {len(closed)} times")  # always >= 2
            elif after:
                problems.append(f"a report after closed: {describe(after[0])}")
    return problems, actual


def _request_checks(obs: Observation) -> tuple[list[str], list[dict]]:
    """Problems with the requests, and a summary of each for the report."""
    sc = obs.variant.scenario
    problems: list[str] = []
    summary: list[dict] = []
    reqs = [q for q in obs.requests if q.get("ev") == "request"]
    for i, q in enumerate(obs.requests):
        n = i + 1
        after_close = (obs.close_server_t is not None and q.get("t") is not None
                       and float(q["t"]) > obs.close_server_t)
        entry = {"n": n, "ev": q.get("ev"), "method": q.get("method"),
                 "subpath": q.get("subpath"), "delay_ms": q.get("delay_ms"),
                 "tls": q.get("tls"), "proto": q.get("proto"), "after_close": after_close,
                 "checks": []}
        summary.append(entry)
        if q.get("ev") == "unexpected":
            when = "after close" if after_close else "before close"
            d = q.get("delay_ms")
            since = f", {d:.0f} ms after connection {i} ended" if isinstance(d, (int, float)) else ""
            problems.append(f"request {n} came beyond the last connection ({when}{since}): "
                            f"the scenario expects {len(sc.connections)}")
            continue
        conn = sc.connections[i] if i < len(sc.connections) else None
        if conn is None:
            continue
        exp = expand(conn["expect"], obs.base, obs.origin)
        assert isinstance(exp, dict)
        entry["checks"] = checks = []
        want_proto = "h2" if obs.variant.transport in ("h2", "h2c") else "http/1.1"
        if q.get("proto") is not None and q.get("proto") != want_proto:
            problems.append(f"request {n} came over {q.get('proto')}, not {want_proto}"
                            + (" (the adapter's hello offers it)" if want_proto == "h2" else ""))
        if q.get("method") != "GET":
            problems.append(f"request {n} used method {q.get('method')}, not GET")
        want_path = exp.get("path") or ""
        if q.get("subpath") != want_path:
            problems.append(f"request {n} asked for subpath {_q(q.get('subpath'))}, "
                            f"expected {_q(want_path)}")
        headers = [(str(k).lower(), v) for k, v in q.get("headers") or []]
        for h in exp.get("headers") or []:
            vals = [v for k, v in headers if k == h["name"].lower()]
            ok, text = _header_check(h, vals)
            checks.append(f"{text}: {'ok' if ok else 'WRONG'}")
            if not ok:
                problems.append(f"request {n}: {text}")
        if exp.get("delay_ms") is not None:
            lo, hi = exp["delay_ms"]
            d = q.get("delay_ms")
            rng = f"{lo}..{hi if hi is not None else ''}"
            if not isinstance(d, (int, float)):
                problems.append(f"request {n} came while connection {i} was still open "
                                f"(expected a delay of {rng} ms after it ended)")
                checks.append(f"delay {rng} ms: WRONG (none: the previous connection was open)")
            elif d < lo - DELAY_SLACK_MS:
                problems.append(f"request {n} came {d:.0f} ms after connection {i} ended, "
                                f"expected at least {lo} ms")
                checks.append(f"delay {rng} ms: WRONG ({d:.0f} ms, too early)")
            elif hi is not None and d > hi:
                problems.append(f"request {n} came {d:.0f} ms after connection {i} ended, "
                                f"expected at most {hi} ms")
                checks.append(f"delay {rng} ms: WRONG ({d:.0f} ms, too late)")
            else:
                checks.append(f"delay {rng} ms: ok ({d:.0f} ms)")
    if len(reqs) < len(sc.connections) and not obs.timeout and not obs.adapter_failure:
        problems.append("no request arrived" if not reqs else
                        f"connection {len(reqs) + 1} never came")
    return problems, summary


def _header_check(h: dict, vals: list[str]) -> tuple[bool, str]:
    name, op = h["name"], h["op"]
    if op == "absent":
        return (not vals, f"{name} absent" + (f" (sent {_q(vals[0])})" if vals else ""))
    if op == "present":
        return (bool(vals), f"{name} present" + ("" if vals else " (not sent)"))
    want = h["value"]
    if vals == [want]:
        return True, f"{name} {_q(want)}"
    got = "not sent" if not vals else ("sent " + ", ".join(_q(v) for v in vals))
    return False, f"{name} {_q(want)} ({got})"


def judge(obs: Observation, expected: list[Record]) -> tuple[Result, str]:
    """The verdict of a finished run, and its full text report (for failures
    and informational results; empty for a pass)."""
    v = obs.variant
    sc = v.scenario
    problems: list[str] = []
    if obs.not_run:
        problems.append(obs.not_run)
    if obs.adapter_failure:
        problems.append(obs.adapter_failure)
    if obs.timeout:
        problems.append(f"timed out after {sc.timeout:g} s: {obs.timeout}")
    rec_problems, actual = _record_problems(obs, expected)
    req_problems, summary = _request_checks(obs)
    if not obs.not_run:
        problems += rec_problems + req_problems
    base = dict(id=v.id, case=sc.name, variant=v.name, rule=sc.rule, seconds=obs.seconds)
    if not problems:
        return Result(verdict=PASS, **base), ""  # type: ignore[arg-type]
    reason = problems[0]
    verdict = FAIL
    rule = RULES.get(sc.rule)
    if not (obs.adapter_failure or obs.not_run):
        if sc.is_open:
            verdict = INFORMATIONAL
            reason = f"{reason} (an open point: {sc.open_reason})"
        elif rule is not None and rule.fetch_only and not obs.fetch:
            verdict = INFORMATIONAL
            reason = (f"{reason} (required of clients built on Fetch; this adapter's hello "
                      f"does not say \"fetch\": true)")
    got = actual if obs.records or obs.requests else None
    result = Result(verdict=verdict, reason=reason, expected=expected, actual=got,
                    stderr=obs.stderr_tail or "\n".join(obs.stderr),
                    problems=problems, requests=summary, **base)  # type: ignore[arg-type]
    return result, report(result, obs, problems, summary)


def report(result: Result, obs: Observation, problems: list[str], summary: list[dict]) -> str:
    sc = obs.variant.scenario
    rule = RULES.get(sc.rule)
    out = [f"{'FAIL' if result.verdict == FAIL else 'INFORMATIONAL'} {result.id}",
           f"  rule:   {sc.rule} {rule.title if rule else ''}",
           f"  about:  {sc.about}",
           f"  reason: {result.reason}",
           f"  url:    {obs.url}   (stream {obs.stream}, scenario file {_rel(sc.file)})"]
    if len(problems) > 1:
        out.append("  problems:")
        out += [f"    - {p}" for p in problems]
    kinds = [k for k in ("open", "event", "error", "closed") if k in obs.reports]
    unreported = sorted({r["kind"] for r in sc.records} - set(obs.reports))
    if unreported:
        out.append(f"  (records of kinds {', '.join(unreported)} not compared: the adapter does "
                   "not report them; the requests still are)")
    if result.actual is not None and result.actual != result.expected:
        out.append(f"  records (- expected, + actual; kinds compared: {', '.join(kinds)}):")
        out += ["    " + d for d in diff(result.expected or [], result.actual)]
    else:
        what = "records (as expected)" if result.actual is not None else "expected records"
        out.append(f"  {what}:")
        shown = (result.expected or [])[:20]
        out += ["    " + shorten(line(r)) for r in shown]
        if len(result.expected or []) > len(shown):
            out.append(f"    ... ({len(result.expected or []) - len(shown)} more)")
    if summary:
        out.append(f"  requests ({len(sc.connections)} connection"
                   f"{'s' if len(sc.connections) != 1 else ''} expected):")
        for e in summary:
            d = e["delay_ms"]
            when = "first" if d is None and e["n"] == 1 else (
                "while the previous was open" if d is None else f"{d:.0f} ms after the previous ended")
            head = f"    {e['n']}  {e['method']} {_q(e['subpath'])}  {when}"
            if e["ev"] == "unexpected":
                head += "  UNEXPECTED (answered 404" + (", after close)" if e["after_close"] else ")")
            out.append(head)
            out += [f"         {c}" for c in e["checks"]]
    elif not obs.not_run:
        out.append("  requests: none arrived")
    if result.stderr:
        tail = result.stderr[-STDERR_SHOW:]
        label = "adapter stderr (tail)" if obs.stderr_tail else "adapter stderr about this stream"
        out.append(f"  {label}:")
        out += ["    | " + s for s in tail.rstrip("\n").split("\n")]
    return "\n".join(out)
