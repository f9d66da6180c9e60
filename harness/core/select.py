"""Selecting variants: the expressions of `-k` and `-m`.

An expression is made of terms joined by `and`, `or` and `not`, with
parentheses; a term is any run of characters other than blanks and
parentheses. With `-k` a term matches a variant when

- the term occurs in the variant's id (case-insensitively), except that a
  term ending in a digit does not match where the id goes on with another
  digit: a variant id pasted from a report (`bom/strip@split-5`) selects
  that variant, not `bom/strip@split-50` too; or
- the term equals the variant's rule (`F9`, `C6-empty`); or
- the term occurs in the path of the variant's file below its folder
  (`bom/strip.case`, `status/404-fails.scenario`); or
- the variant is a plain one (its id has no `@`) and the term occurs in
  its id with its variant's name added, as baselines write it
  (`bom/strip@whole`, `framing/chunked@http`).

With `-m` a term is a marker name (`variant_whole`, `variant_split`,
`transport_tls`, ...) and matches a variant that has that marker.

This is ssespec's own reading, not pytest's: pytest's `-k` cannot hold `@`
or `/`, which every report shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([^\s()]+))")
_KEYWORDS = ("and", "or", "not")


class SelectError(ValueError):
    """An expression that does not parse; the message says where."""


Test = Callable[[str], bool]   # term -> matches?


@dataclass(frozen=True)
class Expression:
    text: str
    _eval: Callable[[Test], bool]

    def evaluate(self, matches: Test) -> bool:
        return self._eval(matches)


def compile_expression(text: str) -> Expression:
    """Parse text; SelectError names what is wrong."""
    tokens: list[str] = []
    pos = 0
    text_s = text.strip()
    if not text_s:
        raise SelectError("the expression is empty")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        tokens.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    i = 0

    def peek() -> str | None:
        return tokens[i] if i < len(tokens) else None

    def take() -> str:
        nonlocal i
        tok = tokens[i]
        i += 1
        return tok

    def expr() -> Callable[[Test], bool]:
        left = conj()
        while peek() == "or":
            take()
            right = conj()
            left = (lambda a, b: lambda t: a(t) or b(t))(left, right)
        return left

    def conj() -> Callable[[Test], bool]:
        left = neg()
        while peek() == "and":
            take()
            right = neg()
            left = (lambda a, b: lambda t: a(t) and b(t))(left, right)
        return left

    def neg() -> Callable[[Test], bool]:
        if peek() == "not":
            take()
            inner = neg()
            return lambda t: not inner(t)
        return atom()

    def atom() -> Callable[[Test], bool]:
        tok = peek()
        if tok is None:
            raise SelectError(f"{text!r}: the expression ends where a term was expected")
        if tok == "(":
            take()
            inner = expr()
            if peek() != ")":
                raise SelectError(f"{text!r}: a '(' is never closed")
            take()
            return inner
        if tok == ")" or tok in _KEYWORDS:
            raise SelectError(f"{text!r}: unexpected {tok!r} where a term was expected")
        term = take()
        return lambda t: t(term)

    fn = expr()
    if i != len(tokens):
        raise SelectError(f"{text!r}: unexpected {tokens[i]!r} after a complete expression")
    return Expression(text, fn)


def keyword_test(variant_id: str, rule: str, file: str = "", variant: str = "") -> Test:
    """The -k reading of one term against a variant (see the module text);
    file is the path of the variant's case or scenario file below its
    folder, which a term may also name (`bom/strip.case`); variant is the
    variant's name, with which a plain variant's id is also read
    (`bom/strip@whole`, `framing/chunked@http`, as baselines write them)."""
    texts = [variant_id.lower()] + ([file.lower()] if file else [])
    if variant and "@" not in variant_id:
        texts.append(f"{variant_id}@{variant}".lower())

    def occurs(t: str, low: str) -> bool:
        if not t[-1].isdigit():
            return t in low
        start = low.find(t)
        while start >= 0:
            after = start + len(t)
            if after == len(low) or not low[after].isdigit():
                return True
            start = low.find(t, start + 1)
        return False

    def test(term: str) -> bool:
        if term == rule:
            return True
        t = term.lower()
        return any(occurs(t, low) for low in texts)
    return test


def marker_test(markers: Iterable[str]) -> Test:
    have = set(markers)
    return lambda term: term in have


@dataclass(frozen=True)
class Selection:
    """-k, -m and --rule of one run; selects(id, rule, markers)."""

    keyword: Expression | None = None
    marker: Expression | None = None
    rules: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, k: str | None, m: str | None, rules: Iterable[str] = ()) -> "Selection":
        def one(flag: str, text: str | None) -> Expression | None:
            if text is None:
                return None
            try:
                return compile_expression(text)
            except SelectError as e:
                raise SelectError(f"{flag} {e}") from None
        return cls(one("-k", k), one("-m", m), frozenset(rules))

    @property
    def active(self) -> bool:
        return bool(self.keyword or self.marker or self.rules)

    def selects(self, variant_id: str, rule: str, markers: Iterable[str], file: str = "",
                variant: str = "") -> bool:
        if self.rules and rule not in self.rules:
            return False
        if self.keyword and not self.keyword.evaluate(keyword_test(variant_id, rule, file, variant)):
            return False
        if self.marker and not self.marker.evaluate(marker_test(markers)):
            return False
        return True

    def describe(self) -> str:
        parts = []
        if self.keyword:
            parts.append(f"-k {self.keyword.text!r}")
        if self.marker:
            parts.append(f"-m {self.marker.text!r}")
        if self.rules:
            parts.append(f"--rule {','.join(sorted(self.rules))}")
        return " ".join(parts)
