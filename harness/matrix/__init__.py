"""`./ssespec matrix`: the suites run against many implementations at once,
and what comes of it (docs/matrix.md).

impls      which implementations a matrix runs (bundled, references, the user's)
run        running `./ssespec check` for each, a few at a time, in process groups
inputs     the bytes and files behind a case name, for the detail pages
causes     the causes in a baseline's reasons (`A: ...; C: ...`)
data       matrix.json: the runs' results gathered into one object
view       reading that object back: cells, order, agreement
page       what the pages share: glyphs, style sheet, frame
html       index.html
detail     impl/ID.html, one page per implementation
report     writing the report's files
peers_doc  docs/peers.md
make       all of it, in order, with a line per finished check
"""
