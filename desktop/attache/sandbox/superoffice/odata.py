"""The archive providers' OData-style query (superoffice.md §2.1): `$select`, `$filter`,
`$orderBy`, `$top`, `$skip`, and the Slim envelope.

Filters: `col op value` joined by `and`/`or`, `not`, parentheses; operators for numbers
`eq = ne le lt gt ge equals greater less unequals`, for strings `begins contains is notBegins
notContains isNot`, lists `oneOf notOneOf in`, dates `before after`, and the functions
`substringof('x', col)`, `startswith(col, 'x')`, `endswith(col, 'x')`. Strings compare without
regard to case (SQL Server's default collation). A filter that does not parse, or names a column
the archive has not, is 400 with the error body.

Paging (open question 2, the reading a client must survive): the server caps `$top` (200 by
default, also when no `$top` is given). When the cap cut a page short of what was asked and more
rows exist, `odata.nextLink` is the absolute URL of the rest (same query, `$skip` advanced);
otherwise it is null, as in every documented example. A client that asked `$top=N` and got fewer
than N rows must look at nextLink (or keep asking until an empty page), never stop on a short page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from attache.sandbox.superoffice.errors import SoError

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<punct>[(),])|(?P<op>=|<>|<=|>=|<|>)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_./]*))"
)
_OPERATORS = {
    "eq": "eq", "=": "eq", "equals": "eq", "is": "eq",
    "ne": "ne", "<>": "ne", "unequals": "ne", "isnot": "ne",
    "lt": "lt", "<": "lt", "less": "lt", "le": "le", "<=": "le",
    "gt": "gt", ">": "gt", "greater": "gt", "ge": "ge", ">=": "ge",
    "begins": "begins", "notbegins": "notbegins", "contains": "contains", "notcontains": "notcontains",
    "oneof": "oneof", "in": "oneof", "notoneof": "notoneof",
    "before": "lt", "after": "gt",
}  # fmt: skip
_FUNCTIONS = ("substringof", "startswith", "endswith")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("oneof", "notoneof"):
        found = any(_compare("eq", left, item) for item in right)
        return found if op == "oneof" else not found
    a, b = _as_number(left), _as_number(right)
    if a is None or b is None or (isinstance(left, str) and not isinstance(right, int | float)):
        a_text, b_text = _text(left).lower(), _text(right).lower()
        if op == "begins":
            return a_text.startswith(b_text)
        if op == "notbegins":
            return not a_text.startswith(b_text)
        if op == "contains":
            return b_text in a_text
        if op == "notcontains":
            return b_text not in a_text
        pair: tuple[Any, Any] = (a_text, b_text)
    else:
        if op in ("begins", "notbegins", "contains", "notcontains"):
            return _compare(op, _text(left), _text(right))
        pair = (a, b)
    x, y = pair
    return {"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[op]


class _Parser:
    def __init__(self, text: str, columns: Sequence[str]) -> None:
        self.text = text
        self.columns = {c.lower(): c for c in columns}
        self.tokens = self._tokenize(text)
        self.at = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise self._invalid(f"unexpected text at {text[position:][:20]!r}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            position = match.end()
        return tokens

    def _invalid(self, why: str) -> SoError:
        return SoError.bad_request(f"Invalid $filter {self.text!r}: {why}.", "ODataFilterParseException")

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise self._invalid("it ends too early")
        self.at += 1
        return token

    def _expect(self, punct: str) -> None:
        if self._take() != ("punct", punct):
            raise self._invalid(f"expected {punct!r}")

    def parse(self) -> Predicate:
        predicate = self._or()
        if self._peek() is not None:
            raise self._invalid(f"unexpected {self._peek()[1]!r}")  # type: ignore[index]
        return predicate

    def _is_word(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token[0] == "word" and token[1].lower() == word

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._is_word("or"):
            self.at += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def _and(self) -> Predicate:
        parts = [self._factor()]
        while self._is_word("and"):
            self.at += 1
            parts.append(self._factor())
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def _factor(self) -> Predicate:
        if self._is_word("not"):
            self.at += 1
            inner = self._factor()
            return lambda row: not inner(row)
        token = self._take()
        if token == ("punct", "("):
            inner = self._or()
            self._expect(")")
            return inner
        if token[0] != "word":
            raise self._invalid(f"expected a column, found {token[1]!r}")
        if token[1].lower() in _FUNCTIONS and self._peek() == ("punct", "("):
            return self._function(token[1].lower())
        column = self._column(token[1])
        op_token = self._take()
        op = _OPERATORS.get(op_token[1].lower())
        if op is None:
            raise self._invalid(f"unknown operator {op_token[1]!r}")
        value = self._value(list_allowed=op in ("oneof", "notoneof"))
        return lambda row: _compare(op, row.get(column), value)

    def _function(self, name: str) -> Predicate:
        self._expect("(")
        first = self._argument()
        self._expect(",")
        second = self._argument()
        self._expect(")")
        if name == "substringof":  # substringof('text', column)
            needle, column = first, second
            op = "contains"
        else:
            column, needle = first, second
            op = "begins" if name == "startswith" else "ends"
        if not isinstance(column, _Column) or isinstance(needle, _Column):
            raise self._invalid(f"{name} takes a column and a text")
        if op == "ends":
            return lambda row: _text(row.get(column.name)).lower().endswith(_text(needle).lower())
        return lambda row: _compare(op, row.get(column.name), needle)

    def _argument(self) -> Any:
        token = self._peek()
        if token is not None and token[0] == "word" and token[1].lower() not in ("true", "false"):
            self.at += 1
            return _Column(self._column(token[1]))
        return self._value(list_allowed=False)

    def _column(self, word: str) -> str:
        column = self.columns.get(word.lower())
        if column is None:
            raise self._invalid(f"the archive has no column {word!r}")
        return column

    def _value(self, *, list_allowed: bool) -> Any:
        token = self._take()
        if token == ("punct", "(") and list_allowed:
            items = [self._value(list_allowed=False)]
            while self._peek() == ("punct", ","):
                self.at += 1
                items.append(self._value(list_allowed=False))
            self._expect(")")
            return items
        kind, text = token
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise self._invalid(f"expected a value, found {text!r}")


@dataclass(frozen=True, slots=True)
class _Column:
    name: str


def parse_filter(text: str, columns: Sequence[str]) -> Predicate:
    return _Parser(text, columns).parse()


@dataclass(frozen=True, slots=True)
class Archive:
    """One archive provider: its rows (each a dict by archive column) and how they look."""

    entity_name: str  # the rows' EntityName, e.g. "contact"
    primary: str  # the column whose value is PrimaryKey
    columns: tuple[str, ...]
    default_select: tuple[str, ...]


def _param(params: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in params.items() if k.lower() == wanted), None)


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = _param(params, name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise SoError.bad_request(f"{name} must be a whole number, not {raw!r}.") from None
    if value < 0:
        raise SoError.bad_request(f"{name} must not be negative.")
    return value


def display(value: Any) -> str:
    """A Slim row's value: the archive's display string (whole numbers as digits, dates ISO,
    flags as 0/1, nothing as ""). A client must read numbers out of strings."""
    return _text(value)


def answer(
    archive: Archive,
    rows: list[Row],
    params: Mapping[str, str],
    *,
    self_url: str,
    metadata_url: str,
    page_cap: int,
) -> dict[str, Any]:
    """The Slim envelope for the rows that match the query's filter, order and page."""
    filter_text = (_param(params, "$filter") or "").strip()
    if filter_text:
        predicate = parse_filter(filter_text, archive.columns)
        rows = [row for row in rows if predicate(row)]
    rows = _ordered(archive, rows, _param(params, "$orderBy") or "")
    skip = _int_param(params, "$skip") or 0
    asked = _int_param(params, "$top")
    top = page_cap if asked is None else min(asked, page_cap)
    page = rows[skip : skip + top]
    select_text = _param(params, "$select")
    if select_text:
        # Unknown columns come back empty rather than refused: a Slim row has every asked column.
        known = {c.lower(): c for c in archive.columns}
        selected = [known.get(c.strip().lower(), c.strip()) for c in select_text.split(",") if c.strip()]
    else:
        selected = list(archive.default_select)
    cut_by_cap = asked is None or asked > top
    more = skip + len(page) < len(rows)
    next_link = None
    if cut_by_cap and more:
        rest = {k: v for k, v in params.items() if k.lower() not in ("$skip", "$top")}
        rest["$skip"] = str(skip + len(page))
        if asked is not None:
            rest["$top"] = str(asked - len(page))
        next_link = f"{self_url}?{urlencode(rest)}"
    value = [
        {
            "PrimaryKey": display(row[archive.primary]),
            "EntityName": archive.entity_name,
            **{column: display(row.get(column)) for column in selected},
        }
        for row in page
    ]
    return {"odata.metadata": metadata_url, "odata.nextLink": next_link, "value": value}


def _ordered(archive: Archive, rows: list[Row], order_by: str) -> list[Row]:
    rows = sorted(rows, key=lambda row: row[archive.primary])
    known = {c.lower(): c for c in archive.columns}
    for part in reversed([p.strip() for p in order_by.split(",") if p.strip()]):
        words = part.split()
        column = known.get(words[0].lower())
        if column is None:
            raise SoError.bad_request(f"Invalid $orderBy: the archive has no column {words[0]!r}.")
        descending = len(words) > 1 and words[1].lower() == "desc"
        rows.sort(key=lambda row, c=column: _sort_key(row.get(c)), reverse=descending)  # type: ignore[misc]
    return rows


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (-1, 0)  # nothing sorts first ascending, last descending (as SQL Server's NULL)
    number = _as_number(value) if not isinstance(value, str) else None
    return (0, number) if number is not None else (1, _text(value).lower())
