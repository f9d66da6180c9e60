"""index.html: the summary table of every implementation, then one matrix
per kind (rows: rules and their cases; columns: implementations), then the
rules with the standard's section each comes from. The tables are plain
HTML and read without JavaScript; the script only adds the filters and
the collapsing of rules."""

from __future__ import annotations

from harness.matrix import view
from harness.matrix.impls import KINDS, TITLES
from harness.matrix.page import badge, esc, frame, glyph, legend, slug

SCRIPT = r"""
(function(){
var d=document;d.documentElement.classList.add('js');
var f=d.getElementById('filters');f.hidden=false;
var dis=d.getElementById('f-dis'),rule=d.getElementById('f-rule'),q=d.getElementById('f-q'),
out=d.getElementById('f-count');
function apply(){
 var n=0,want=q.value.trim().toLowerCase();
 d.querySelectorAll('table.m tbody.rule').forEach(function(tb){
  var any=false,ok=!rule.value||tb.dataset.rule===rule.value;
  tb.querySelectorAll('tr.case').forEach(function(tr){
   var show=ok&&(!dis.checked||tr.dataset.d==='1')&&
    (!want||tr.firstChild.textContent.toLowerCase().indexOf(want)>=0);
   tr.classList.toggle('hide',!show);if(show){any=true;n++;}
  });
  tb.classList.toggle('hide',!any);
 });
 out.textContent=n+' case rows shown';
}
[dis,rule].forEach(function(e){e.addEventListener('change',apply);});
q.addEventListener('input',apply);
function setOpen(tb,open){tb.classList.toggle('closed',!open);
 var b=tb.querySelector('button.tg');b.setAttribute('aria-expanded',open?'true':'false');
 b.textContent=open?'\u25be':'\u25b8';}
d.querySelectorAll('button.tg').forEach(function(b){b.addEventListener('click',function(){
 var tb=b.closest('tbody');setOpen(tb,tb.classList.contains('closed'));});});
d.getElementById('f-open').addEventListener('click',function(){
 d.querySelectorAll('table.m tbody.rule').forEach(function(tb){setOpen(tb,true);});});
d.getElementById('f-close').addEventListener('click',function(){
 d.querySelectorAll('table.m tbody.rule').forEach(function(tb){setOpen(tb,false);});});
d.addEventListener('keydown',function(e){if(e.key==='/'&&d.activeElement!==q){
 e.preventDefault();q.focus();}});
apply();
})();
"""


def _summary(m: dict, impls: list[dict]) -> str:
    rows = []
    for e in impls:
        s = e.get("summary") or {}
        state, words = view.baseline_state(e)
        if e["not_run"]:
            status = f'{badge("not run")} not run: {esc(e["not_run"])}'
        else:
            status = badge("pass") + " ran"
        num = "".join(f'<td class="num">{s.get(k, "–") if s else "–"}</td>'
                      for k in ("total", "pass", "fail", "informational", "warning", "skipped"))
        rows.append(
            f'<tr><th scope="row"><a href="impl/{esc(slug(e["id"]))}">{esc(e["name"])}</a></th>'
            f'<td>{esc(e["kind"])}</td><td>{esc(e.get("version") or "–")}</td>{num}'
            f'<td class="num">{view.pass_rate(e)}</td>'
            f'<td class="num">{view.failing_cases(e) if not e["not_run"] else "–"}</td>'
            f'<td>{badge(state)} {esc(words)}</td><td class="num">{e["seconds"]}</td>'
            f"<td>{status}</td></tr>")
    head = "".join(f'<th scope="col">{h}</th>' for h in (
        "implementation", "kind", "version", "variants", "pass", "fail", "informational",
        "warning", "skipped", "passed", "failing cases", "recorded results", "seconds", "run"))
    return (f'<section id="summary"><h2>Summary</h2><div class="wrap"><table class="sum">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            "<p class=\"mut\">variants: every run of a case (as written, byte by byte, split; "
            "over HTTP, TLS, HTTP/2). failing cases: cases with a failing variant. recorded "
            "results: whether the run still matches adapters/NAME/expect.txt.</p></section>")


def _cell_td(e: dict, case: str, c: view.Cell) -> str:
    g, cls = glyph(c.verdict)
    text = c.text()
    if case not in e.get("cells", {}):
        return f'<td class="{cls}">{g}</td>'
    href = f"impl/{slug(e['id'])}#case-{case}"
    return f'<td class="{cls}"><a href="{esc(href)}">{g} {text}</a></td>'


def _head_rows(impls: list[dict]) -> str:
    names = "".join(f'<th scope="col" title="{esc(e.get("description") or e["name"])}">'
                    f'<a href="impl/{esc(slug(e["id"]))}">{esc(e["name"])}</a></th>'
                    for e in impls)
    rows = [f'<thead><tr><th scope="col">rule / case</th>{names}</tr></thead><tbody class="head">']
    rows.append("<tr><th scope=\"row\">version</th>" + "".join(
        f'<td>{esc(e.get("version") or "–")}</td>' for e in impls) + "</tr>")
    rows.append("<tr><th scope=\"row\">variants passed</th>" + "".join(
        f'<td title="{esc(e.get("summary") or e["not_run"])}">{view.pass_rate(e)}</td>'
        for e in impls) + "</tr>")
    rows.append("<tr><th scope=\"row\">failing cases</th>" + "".join(
        f'<td>{view.failing_cases(e) if not e["not_run"] else "–"}</td>' for e in impls) + "</tr>")
    cells = []
    for e in impls:
        state, words = view.baseline_state(e)
        g, cls = glyph(state)
        cells.append(f'<td class="{cls}" title="recorded results: {esc(words)}">{g}</td>')
    rows.append('<tr><th scope="row">recorded results hold</th>' + "".join(cells) + "</tr>")
    rows.append("<tr><th scope=\"row\">seconds</th>" + "".join(
        f'<td>{e["seconds"]}</td>' for e in impls) + "</tr></tbody>")
    return "".join(rows)


def _kind_table(m: dict, kind: str, impls: list[dict]) -> str:
    suite = m["suites"].get(kind, {"cases": []})
    cases = suite["cases"]
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(cases):
        groups.setdefault(c["rule"], []).append(i)
    cols = '<colgroup><col class="k">' + '<col class="c">' * len(impls) + "</colgroup>"
    body = []
    for rid, idxs in groups.items():
        r = m["rules"].get(rid, {})
        agg = []
        for e in impls:
            cs = [view.cell(e, i) for i in idxs]
            ran = [c for c in cs if c.verdict != "not run"]
            bad = [c for c in ran if c.verdict == "fail"]
            worst = next((v for v in ("fail", "warning", "informational", "pass", "skipped")
                          if any(c.verdict == v for c in ran)), "not run")
            g, cls = glyph(worst)
            text = f"{g} {len(bad)}/{len(ran)}" if bad else g
            agg.append(f'<td class="{cls}" title="{esc(e["name"])}: {len(bad)} of {len(ran)} '
                       f'cases of {esc(rid)} fail">{text}</td>')
        rows = [f'<tr class="rh"><th scope="rowgroup"><button class="tg" type="button" '
                f'aria-expanded="true" aria-label="show or hide the cases of {esc(rid)}">▾</button>'
                f'<a href="#rule-{esc(rid)}">{esc(rid)}</a> {esc(r.get("title", ""))}'
                f' <small>({esc(r.get("section", ""))})</small></th>{"".join(agg)}</tr>']
        for i in idxs:
            c = cases[i]
            cs = [view.cell(e, i) for e in impls]
            tds = "".join(_cell_td(e, c["name"], cell) for e, cell in zip(impls, cs))
            d = "1" if view.disagree(cs) else "0"
            rows.append(f'<tr class="case" data-d="{d}">'
                        f'<th scope="row" title="{esc(c.get("about", ""))}">{esc(c["name"])}</th>'
                        f"{tds}</tr>")
        body.append(f'<tbody class="rule" data-rule="{esc(rid)}">{"".join(rows)}</tbody>')
    title = TITLES[kind]
    return (f'<section id="{title}" class="kind"><h2>{title.capitalize()} ({len(impls)})</h2>'
            f'<div class="wrap"><table class="m" style="width:{23 + 4.6 * len(impls):.1f}rem" '
            f'aria-label="{title}: verdict per case">'
            f"{cols}{_head_rows(impls)}{''.join(body)}</table></div></section>")


def _filters(m: dict) -> str:
    used = []
    for kind in KINDS:
        for c in m["suites"].get(kind, {"cases": []})["cases"]:
            if c["rule"] not in used:
                used.append(c["rule"])
    opts = "".join(f'<option value="{esc(r)}">{esc(r)}: {esc(m["rules"].get(r, {}).get("title", ""))}'
                   "</option>" for r in used)
    return ('<form id="filters" hidden onsubmit="return false">'
            '<label><input type="checkbox" id="f-dis"> only where implementations disagree'
            '</label><label>rule <select id="f-rule"><option value="">every rule</option>'
            f'{opts}</select></label><label>case <input id="f-q" type="search" '
            'placeholder="name contains ( / )" size="22"></label>'
            '<button type="button" id="f-open">expand all</button> '
            '<button type="button" id="f-close">collapse all</button> '
            '<output id="f-count" class="mut"></output></form>')


def _rules(m: dict) -> str:
    items = []
    for rid, r in m["rules"].items():
        flags = [w for w, on in (("open point", r.get("open")), ("Fetch clients only",
                                                                 r.get("fetch_only")),
                                 ("advisory", r.get("advisory"))) if on]
        extra = f' <small>({", ".join(flags)})</small>' if flags else ""
        items.append(f'<dt id="rule-{esc(rid)}">{esc(rid)}: {esc(r["title"])}{extra}</dt>'
                     f'<dd>{esc(r.get("text", ""))}<br><small>The standard: '
                     f'{esc(r.get("section") or "–")}</small></dd>')
    return ('<section id="rules"><h2>The rules</h2><p class="mut">From docs/rules.md; the '
            "sections are those of the WHATWG HTML Standard, 9.2 Server-sent events, unless "
            f'another standard is named.</p><dl class="rules">{"".join(items)}</dl></section>')


def render(m: dict) -> str:
    impls = view.ordered(m)
    kinds = [k for k in KINDS if any(e["kind"] == k for e in impls)]
    nav = " · ".join(f'<a href="#{TITLES[k]}">{TITLES[k]}</a>' for k in kinds)
    ran = sum(1 for e in impls if not e["not_run"])
    body = [f"<header><h1>ssespec: the conformance matrix</h1>"
            f'<p>{len(impls)} implementations ({ran} ran), made {esc(m["generated"])} in '
            f'{m["seconds"]} s. <a href="matrix.json">matrix.json</a> has the data.</p>'
            f'<nav aria-label="sections"><a href="#summary">summary</a> · {nav} · '
            f'<a href="#rules">rules</a></nav>{legend()}'
            "<p class=\"mut\">A cell is a case's variants for one implementation: its worst "
            "verdict and how many of its variants got it (✗ 3/6: 3 of 6 failed). A cell with "
            "a link opens its details: input, chunks, records, stderr, rerun command.</p>"
            f"{_filters(m)}</header><main>", _summary(m, impls)]
    for k in kinds:
        body.append(_kind_table(m, k, [e for e in impls if e["kind"] == k]))
    body.append(_rules(m) + "</main>")
    return frame("ssespec conformance matrix", "\n".join(body), SCRIPT)
