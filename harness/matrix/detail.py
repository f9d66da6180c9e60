"""impl/ID.html: one page per implementation. What it is and how its run
went (version, command, counts, whether its recorded results hold), the
causes its baseline names, then a section per case that did not pass,
anchored `case-NAME`: the input escaped, and for its first variant of each
reason the chunks, expected against actual records, the adapter's stderr
and the command that reruns it; its other variants by reason."""

from __future__ import annotations

import shlex

from harness.core.records import diff, line, shorten
from harness.matrix import view
from harness.matrix.page import badge, esc, frame, legend


def _kv(pairs: list[tuple[str, str]]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs if v) \
        + "</dl>"


def _pre(lines: list[str], cls_of=None) -> str:
    out = []
    for s in lines:
        cls = cls_of(s) if cls_of else ""
        out.append(f'<span class="{cls}">{esc(s)}</span>' if cls else esc(s))
    return "<pre>" + "\n".join(out) + "</pre>"


def _diff_class(s: str) -> str:
    if s.startswith("-") and not s.startswith("---"):
        return "del"
    if s.startswith("+") and not s.startswith("+++"):
        return "ins"
    return ""


def _records(d: dict) -> str:
    expected = d.get("expected")
    actual = d.get("actual")
    if expected is None and actual is None:
        return ""
    if actual is None:
        return ("<h4>expected records (the adapter gave none)</h4>"
                + _pre([shorten(line(r)) for r in expected or []]))
    lines = diff(expected or [], actual) or ["(the records are the same; see the reason)"]
    return "<h4>records (- expected, + actual)</h4>" + _pre(lines, _diff_class)


def _show(m: dict, e: dict, d: dict) -> str:
    """`./ssespec show` for a parser variant, else nothing."""
    if e["suite"] != "parser":
        return ""
    cases = (m.get("options") or {}).get("cases")
    return shlex.join(["./ssespec", "show", *(["--cases", cases] if cases else []), d["id"]])


def _variant(m: dict, e: dict, d: dict) -> str:
    parts = [f'<div class="var"><h4>{badge(d["verdict"])} <code>{esc(d["id"])}</code>: '
             f'{esc(d["reason"])}</h4>']
    known = e.get("baseline_entries", {}).get(str(d.get("baseline")))
    pairs = []
    if known:
        base = (e.get("baseline") or {}).get("file", "expect.txt")
        pairs.append(("recorded", f"{esc(base)} line {d['baseline']}: {esc(known[0])} "
                                  f"<code>{esc(known[1])}</code> {esc(known[2])}"))
    if d.get("chunks"):
        pairs.append(("chunks", _pre(d["chunks"])))
    if d.get("error"):
        pairs.append(("adapter error", f"<code>{esc(d['error'])}</code>"))
    parts.append(_kv(pairs))
    parts.append(_records(d))
    if d.get("problems"):
        parts.append("<h4>problems</h4>" + _pre(d["problems"]))
    if d.get("requests"):
        parts.append("<h4>requests the server saw</h4>" + _pre(d["requests"]))
    if d.get("stderr"):
        parts.append("<h4>adapter stderr (its end)</h4>" + _pre(d["stderr"].rstrip("\n")
                                                                .split("\n")))
    rerun = e["rerun"].replace("ID", d["id"])
    parts.append(_kv([("rerun", f"<code>{esc(rerun)}</code>"),
                      ("input", f"<code>{esc(_show(m, e, d))}</code> (--raw: its bytes)"
                       if _show(m, e, d) else "")]))
    return "".join(parts) + "</div>"


def _others(others: list[dict]) -> str:
    if not others:
        return ""
    items = "".join(f"<li>{esc(o['reason'])}: "
                    f"{esc(', '.join('@' + v for v in o['variants'][:40]))}"
                    f"{' ...' if len(o['variants']) > 40 else ''}</li>" for o in others)
    return f'<div class="var"><h4>its other variants</h4><ul>{items}</ul></div>'


def _input(case: dict) -> str:
    pairs = [("about", esc(case.get("about", ""))),
             ("file", f"<code>{esc(case['path'])}</code>" if case.get("path") else "")]
    if "input" in case:
        pairs.append(("input", f"{case.get('bytes', 0)} bytes: <code>{esc(case['input'])}</code>"))
    body = _kv(pairs)
    if case.get("source"):
        body += "<h4>the file (comments left out)</h4>" + _pre(case["source"].split("\n"))
    return body


def _full(m: dict, e: dict, case: dict, cell: dict, c: view.Cell) -> str:
    rule = m["rules"].get(case["rule"], {})
    return (f'<section class="cell" id="case-{esc(case["name"])}"><h3>'
            f'{badge(c.verdict, c.text())} {esc(case["name"])} <small>rule '
            f'<a href="../index.html#rule-{esc(case["rule"])}">{esc(case["rule"])}</a>: '
            f'{esc(rule.get("title", ""))}; {c.total} variants run: '
            + ", ".join(f"{n} {esc(v)}" for v, n in c.counts.items()) + "</small></h3>"
            + _input(case) + "".join(_variant(m, e, d) for d in cell["details"])
            + _others(cell["others"]) + "</section>")


def _row(e: dict, case: dict, cell: dict, c: view.Cell) -> str:
    d = cell["details"][0]
    known = e.get("baseline_entries", {}).get(str(d.get("baseline")))
    inp = f'<br><code>{esc(case["input"])}</code>' if "input" in case else ""
    same = f'{d["verdict"]}: {d["reason"]}'
    others = "; ".join(("" if o["reason"] == same else f"{o['reason']}: ")
                       + ", ".join("@" + v for v in o["variants"][:12])
                       + (" ..." if len(o["variants"]) > 12 else "") for o in cell["others"])
    return (f'<tr id="case-{esc(case["name"])}" class="cell"><td>{badge(c.verdict, c.text())}'
            f'</td><th scope="row">{esc(case["name"])} <small>{esc(case["rule"])}</small>{inp}'
            f'</th><td><code>{esc(d["id"])}</code>: {esc(d["reason"])}'
            + (f"<br><small>also: {esc(others)}</small>" if others else "")
            + f'</td><td>{esc(known[2]) if known else ""}</td></tr>')


def _cases(m: dict, e: dict) -> str:
    """The cases in full while their details were kept, then one row each."""
    cases = m["suites"].get(e["suite"], {"cases": []})["cases"]
    full, rows = [], []
    for i, case in enumerate(cases):
        cell = e["cells"].get(case["name"])
        if cell is None:
            continue
        c = view.cell(e, i)
        if all(d.get("trimmed") for d in cell["details"]):
            rows.append(_row(e, case, cell, c))
        else:
            full.append(_full(m, e, case, cell, c))
    out = "".join(full)
    if rows:
        rerun = e["rerun"].replace("ID", "CASE")
        out += ('<h3 id="more">More cases, in short</h3><p class="mut">Their records, chunks '
                f"and stderr were left out to keep the report small: <code>{esc(rerun)}</code> "
                'shows them.</p><table class="sum more"><colgroup><col style="width:5.5rem">'
                '<col style="width:32%"><col><col style="width:26%"></colgroup><thead><tr><th>verdict</th><th>case, '
                "rule, input</th><th>its first variant and reason</th><th>recorded reason</th>"
                f'</tr></thead><tbody>{"".join(rows)}</tbody></table>')
    return out


def _causes(e: dict) -> str:
    if not e.get("causes") and not e.get("unlisted"):
        return ""
    base = (e.get("baseline") or {}).get("file", "")
    items = []
    for c in e.get("causes", []):
        mini = c["minimal"]
        label = f"<b>{esc(c['label'])}</b>: " if c["label"] else ""
        inp = f" <code>{esc(mini['input'])}</code>" if mini.get("input") else ""
        items.append(f"<li>{badge(c['verdict'])} {label}{esc(c['text'])} <small>(rule "
                     f"{esc(', '.join(c['rules']))}; {c['cases']} cases; minimal case "
                     f'<a href="#case-{esc(mini["case"])}">{esc(mini["id"])}</a>{inp})</small>'
                     "</li>")
    u = e.get("unlisted")
    if u:
        items.append(f"<li>{badge('fail')} <b>not in the recorded results</b>: {u['variants']} "
                     f"variants of {u['cases']} cases, e.g. "
                     f'<a href="#case-{esc(u["minimal"]["case"])}">{esc(u["minimal"]["id"])}</a>'
                     f": {esc(u['minimal']['reason'])}</li>")
    return (f"<section><h2>Causes</h2><p class=\"mut\">From the reasons in {esc(base)}; each "
            f"with the smallest input among the variants it explains.</p><ul>{''.join(items)}"
            "</ul></section>")


def _head(e: dict) -> str:
    s = e.get("summary") or {}
    state, words = view.baseline_state(e)
    b = e.get("baseline") or {}
    drift = []
    for k, w in (("unexpected_failures_list", "unexpected failures"), ("fixed_list", "fixed"),
                 ("changed_list", "changed"), ("stale_list", "stale entries")):
        items = b.get(k) or []
        if items:
            shown = ", ".join(str(x if isinstance(x, str) else x.get("id")) for x in items)
            drift.append(f"<li>{esc(w)} ({b[k.replace('_list', '')]}): {esc(shown)}</li>")
    pairs = [
        ("kind", esc(e["kind"])),
        ("version", esc(e.get("version") or "–")),
        ("about", esc(e.get("description") or "")),
        ("adapter", f"<code>{esc(e['adapter'])}</code>" if e.get("adapter") else ""),
        ("command", f"<code>{esc(' '.join(e['command']))}</code>" if e.get("command") else ""),
        ("check", f"<code>{esc(e['check'])}</code>"),
        ("run", f"{badge('not run')} not run: {esc(e['not_run'])}" if e["not_run"]
         else f"exit status {e['exit']} in {e['seconds']} s"),
        ("variants", ", ".join(f"{k} {v}" for k, v in s.items()) if s else ""),
        ("recorded results", f"{badge(state)} {esc(words)} <small>{esc(b.get('file', ''))}"
                             "</small>" + (f"<ul>{''.join(drift)}</ul>" if drift else "")),
        ("notes", "<br>".join(esc(n) for n in e.get("notes") or [])),
    ]
    out = _kv(pairs)
    if e["not_run"] and e.get("stderr"):
        out += "<h3>stderr of the check</h3>" + _pre(e["stderr"].rstrip("\n").split("\n"))
    return out


def render(m: dict, e: dict) -> str:
    body = (f'<header><p><a href="../index.html">the matrix</a></p>'
            f'<h1>{esc(e["name"])} <small>{esc(e["kind"])}</small></h1></header><main>'
            f"{_head(e)}{legend()}{_causes(e)}<section><h2>Cases that did not pass "
            f'({len(e["cells"])})</h2>{_cases(m, e) or "<p>none</p>"}</section></main>')
    return frame(f"{e['name']} ({e['kind']}): ssespec matrix", body)
