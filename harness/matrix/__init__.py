"""`./ssespec matrix`: the suites run against many implementations at once,
and what comes of it (docs/matrix.md).

impls      which implementations a matrix runs (bundled, references, the user's)
run        running `./ssespec check` for each, a few at a time, in process groups
inputs     the bytes and files behind a variant id, for the detail pages
data       matrix.json: the runs' results gathered into one object
causes     the causes in a baseline's reasons (`A: ...; C: ...`)
html       index.html and one page per implementation, from matrix.json's data
peers_doc  docs/peers.md, from matrix.json's data
"""
