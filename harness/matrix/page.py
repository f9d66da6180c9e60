"""What the report's pages share: escaping, the verdict glyphs and colours,
the style sheet and the page frame. Every page is self-contained: its CSS
and script are inline, and it loads nothing."""

from __future__ import annotations

import html

# verdict -> (glyph, class); every cell shows its glyph, not only its colour
GLYPHS = {"pass": ("✓", "p"), "fail": ("✗", "f"), "skipped": ("~", "s"),
          "informational": ("i", "i"), "warning": ("⚠", "w"), "not run": ("–", "n")}
LEGEND = ("pass", "fail", "informational", "warning", "skipped", "not run")

CSS = """
:root{--p:#d4efd4;--f:#f6c9c9;--s:#e8e8e8;--i:#d3e2f6;--w:#f9e3a8;--n:#fff;--line:#bbb;
--fg:#111;--mut:#555;--bg:#fff;--hi:#fff6bf}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 1rem 3rem}
h1{font-size:1.5rem;margin:.8rem 0 .3rem}h2{font-size:1.2rem;margin:1.6rem 0 .4rem}
h3{font-size:1rem;margin:.2rem 0}
a{color:#0645ad}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,
summary:focus-visible{outline:3px solid #e37400;outline-offset:1px}
code,pre,.mono{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;border:1px solid #ddd;
padding:.35rem .5rem;margin:.2rem 0 .5rem;max-height:24rem;overflow:auto}
small,.mut{color:var(--mut)}
.legend span{display:inline-block;margin-right:.7rem}
.v{display:inline-block;min-width:1.6em;text-align:center;border:1px solid var(--line);
padding:0 .25em;border-radius:3px}
.p{background:var(--p)}.f{background:var(--f)}.s{background:var(--s)}.i{background:var(--i)}
.w{background:var(--w)}.n{background:var(--n);color:var(--mut)}
table{border-collapse:collapse}
th,td{border:1px solid var(--line);padding:.15rem .35rem;vertical-align:top}
th{text-align:left;font-weight:600;background:#f3f3f3}
.sum td,.sum th{white-space:nowrap}
.sum td.num{text-align:right}
.wrap{overflow:auto;max-height:80vh;border:1px solid var(--line)}
section.kind .wrap{content-visibility:auto;contain-intrinsic-size:auto 80vh}
table.m{table-layout:fixed}
table.m col.c{width:4.6rem}table.m col.k{width:23rem}
table.m thead th{position:sticky;top:0;z-index:2;font-weight:600;vertical-align:bottom;
overflow-wrap:anywhere;font-size:12px}
table.m th[scope=row],table.m tr.rh th{position:sticky;left:0;z-index:1;background:#fafafa;
overflow-wrap:anywhere;font-weight:normal}
table.m thead th:first-child{left:0;z-index:3}
table.m td{text-align:center;white-space:nowrap;font-size:13px}
table.m td a{display:block;color:inherit;text-decoration:none}
table.m td a:hover,table.m td a:focus{text-decoration:underline}
table.m tbody.head td,table.m tbody.head th{background:#f3f3f3;font-size:12px;
white-space:normal;word-break:break-all}
#f-rule{max-width:22rem}
table.m tr.rh th{background:#eef0f4;font-weight:600}
table.m tr.rh td{font-weight:600}
.js table.m tbody.closed tr.case{display:none}
tr.hide,tbody.hide{display:none}
.tg{display:none;border:1px solid var(--line);background:#fff;cursor:pointer;
font:inherit;padding:0 .3rem;margin-right:.2rem}
.js .tg{display:inline-block}
#filters{margin:.6rem 0;padding:.4rem .6rem;border:1px solid var(--line);background:#fafafa}
#filters label{margin-right:1rem}
.cell{border:1px solid var(--line);padding:.3rem .7rem;margin:.8rem 0;scroll-margin-top:1rem}
table.more{margin:.4rem 0;width:100%;table-layout:fixed}
table.more td,table.more th{white-space:normal;overflow-wrap:anywhere}
.cell:target,tr.cell:target th,tr.cell:target td{outline:3px solid #e37400;background:var(--hi)}
.var{border-top:1px dashed var(--line);margin-top:.4rem;padding-top:.3rem}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}
dl.kv dt{color:var(--mut)}dl.kv dd{margin:0;overflow-wrap:anywhere;min-width:0}
.del{color:#a00}.ins{color:#060}
.rules dt{font-weight:600;margin-top:.5rem}.rules dd{margin-left:1.2rem}
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def glyph(verdict: str) -> tuple[str, str]:
    return GLYPHS.get(verdict, ("?", "n"))


def badge(verdict: str, text: str = "") -> str:
    g, cls = glyph(verdict)
    return f'<span class="v {cls}" title="{esc(verdict)}">{g}{" " + esc(text) if text else ""}</span>'


def legend() -> str:
    return '<p class="legend">' + "".join(f"<span>{badge(v)} {esc(v)}</span>" for v in LEGEND) \
        + "</p>"


def frame(title: str, body: str, script: str = "") -> str:
    """A whole page: its style sheet and script inline."""
    js = f"<script>{script}</script>" if script else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n{js}"
            "</body></html>\n")


def slug(impl_id: str) -> str:
    """The file name of an implementation's page."""
    safe = "".join(ch if ch.isalnum() or ch in "-._" else "_" for ch in impl_id)
    return f"{safe}.html"
