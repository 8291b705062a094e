"""load_config(): read, merge and validate config files into one Config, or say exactly what is wrong.

Merging several files (`-c base.yaml -c prod.yaml`), later files win:
- mappings merge key by key, recursively (`database`, `server`, `defaults`, a monitor's `window`);
- `monitors`, `notifiers` and each monitor's `columns` merge **by name**: an entry whose name
  is already defined is merged into it key by key, a new name is appended;
- any other value (scalars, other lists such as `statistics` or `edges`) is replaced whole;
- settings that take one of several forms are not mixed: `schedule` and `reference` are
  replaced whole, a `source` of another `kind` replaces the earlier one, a `table` or `query`
  replaces the earlier `table`/`schema`/`query`, and bin `edges` and `method`/`n_bins`
  displace each other.
Within one file a monitor name may appear once. The `defaults` section is applied under every
monitor after merging (a monitor's own keys win, mappings merge recursively).
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from driftmon.config.monitor import overridden_keys
from driftmon.config.service import DEFAULT_DATABASE_URL, DEFAULT_DEAD_LETTER, Config
from driftmon.config.yamlfile import (
    FileReading,
    Key,
    Node,
    format_path,
    iter_named,
    read_config_file,
    sqlite_url_from,
)
from driftmon.errors import (
    ConfigProblem,
    ConfigValidationError,
    DuplicateMonitorError,
    UnsetVariableError,
)

_NAMED_LISTS = {("monitors",), ("notifiers",), ("monitors", "*", "columns")}
_SECRET_KEYS = {"url", "api_token"}


def _named_list(path: tuple[Key, ...]) -> bool:
    shape = tuple("*" if isinstance(k, int) else k for k in path)
    return shape in _NAMED_LISTS


def _merge_named(base: Node, over: Node, path: tuple[Key, ...]) -> Node:
    items = list(iter_named(base))
    index = {name: i for i, (name, _) in reversed(list(enumerate(items))) if name is not None}
    for name, node in iter_named(over):
        if name is not None and name in index:
            i = index[name]
            items[i] = (name, _merge(items[i][1], node, (*path, i)))
        else:
            if name is not None:
                index[name] = len(items)
            items.append((name, node))
    return Node([node for _, node in items], base.file, base.line)


def _merge(base: Node, over: Node, path: tuple[Key, ...]) -> Node:
    if isinstance(base.value, dict) and isinstance(over.value, dict):
        shallow = {k: n.value for k, n in base.value.items()}
        dropped = overridden_keys(
            path[-1] if path else None, shallow, {k: n.value for k, n in over.value.items()}
        )
        if dropped is None:
            return over
        out = {k: n for k, n in base.value.items() if k not in dropped}
        for key, node in over.value.items():
            child = (*path, key)
            if key not in out:
                out[key] = node
            elif _named_list(child) and isinstance(out[key].value, list) and isinstance(node.value, list):
                out[key] = _merge_named(out[key], node, child)
            else:
                out[key] = _merge(out[key], node, child)
        return Node(out, base.file, base.line)
    return over


def merge_trees(trees: Sequence[Node]) -> Node:
    """Merge located trees in order; later trees override and extend earlier ones."""
    merged = trees[0]
    for tree in trees[1:]:
        merged = _merge(merged, tree, ())
    return merged


def _check_unique_monitors(tree: Node) -> None:
    monitors = tree.value.get("monitors")
    if monitors is None:
        return
    seen: dict[str, list[int]] = {}
    for i, (name, node) in enumerate(iter_named(monitors)):
        if name is None:
            continue
        seen.setdefault(name, []).append(node.line)
        if len(seen[name]) == 2:
            raise DuplicateMonitorError(name, tree.file, seen[name], f"monitors[{i}].name")


def _is_tag(key: Key) -> bool:
    # Union tags (`<sql>`) and pydantic's `[key]` marker for dict keys are not part of the path.
    return isinstance(key, str) and ((key.startswith("<") and key.endswith(">")) or key == "[key]")


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _keys_at(loc: tuple[Key, ...]) -> list[str] | None:
    """Return the keys the schema allows at `loc` (a pydantic loc, tags included), if known."""
    tp: Any = Config
    for key in loc:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if _is_tag(key):
            for member in typing.get_args(tp):
                tags = [m.tag for m in getattr(member, "__metadata__", ()) if hasattr(m, "tag")]
                if key in tags:
                    tp = member
                    break
            else:
                return None
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(key, str):
            field = next((f for n, f in tp.model_fields.items() if key in (n, f.alias)), None)
            if field is None:
                return None
            tp = field.annotation
        elif origin in (list, tuple) and isinstance(key, int):
            tp = typing.get_args(tp)[0]
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return sorted(f.alias or n for n, f in tp.model_fields.items())
    return None


def _message(error: ErrorDetails, loc: tuple[Key, ...]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _keys_at(tuple(error["loc"])[:-1]) or []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listing = f" (expected one of: {', '.join(allowed)})" if allowed else ""
        return f"unknown key {key!r}{hint}{listing}"
    if kind == "missing":
        return f"required key {str(loc[-1])!r} is missing" if loc else "required value is missing"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    message = error["msg"].replace("Input should be", "expected")
    value = error.get("input")
    secret = bool(loc) and loc[-1] in _SECRET_KEYS
    if not secret and isinstance(value, str | int | float | bool) and len(repr(value)) <= 80:
        message += f", got {value!r}"
    return message


def _context(data: Mapping[str, Any], loc: tuple[Key, ...]) -> str:
    if len(loc) < 2 or loc[0] != "monitors" or not isinstance(loc[1], int):
        return ""
    monitors = data.get("monitors")
    monitor = monitors[loc[1]] if isinstance(monitors, list) and loc[1] < len(monitors) else None
    if not isinstance(monitor, dict) or not isinstance(monitor.get("name"), str):
        return ""
    parts = [f"monitor {monitor['name']!r}"]
    columns = monitor.get("columns")
    if (
        len(loc) >= 4
        and loc[2] == "columns"
        and isinstance(loc[3], int)
        and isinstance(columns, list)
        and loc[3] < len(columns)
    ):
        column = columns[loc[3]]
        name = column.get("name") if isinstance(column, dict) else column
        if isinstance(name, str):
            parts.append(f"column {name!r}")
    return f" ({', '.join(parts)})"


def _scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _problems(exc: ValidationError, tree: Node, secrets: set[str]) -> list[ConfigProblem]:
    data = tree.plain()
    defaults = tree.value.get("defaults")
    out: dict[tuple[Any, ...], ConfigProblem] = {}
    for error in exc.errors(include_url=False):
        loc = tuple(k for k in error["loc"] if not _is_tag(k))
        message = _message(error, loc)
        if error["type"] == "missing" and loc:
            loc = loc[:-1]  # the problem is the mapping that lacks the key
        node, depth = tree.find(loc)
        shown = format_path(loc) + _context(data, loc)
        if loc[:1] == ("monitors",) and len(loc) >= 3 and depth < len(loc) and defaults is not None:
            default_node, default_depth = defaults.find(loc[2:])
            if default_depth == len(loc) - 2:
                node, shown = default_node, format_path(("defaults", *loc[2:]))
        problem = ConfigProblem(node.file, node.line, shown, _scrub(message, secrets))
        out.setdefault((problem.file, problem.line, problem.location, problem.message), problem)
    return list(out.values())


def _default_files(data: dict[str, Any], base: Path) -> None:
    """Put the files driftmon writes by default (the SQLite store, dead letters) beside the first config file.

    Paths written in a file resolve from that file's directory (yamlfile.py); the defaults, written
    in none, from the first file's, so the store does not depend on the working directory.
    """
    database = data.setdefault("database", {})
    if isinstance(database, dict) and "url" not in database:
        database["url"] = sqlite_url_from(base, DEFAULT_DATABASE_URL)
    notifiers = data.get("notifiers")
    for notifier in notifiers if isinstance(notifiers, list) else []:
        if isinstance(notifier, dict) and "dead_letter" not in notifier:
            notifier["dead_letter"] = str(base / DEFAULT_DEAD_LETTER)


def load_config(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Read, merge (later files win) and validate config files; raise ConfigError naming each problem."""
    files = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not files:
        raise ConfigValidationError([ConfigProblem(None, None, "", "no config file given")])
    env = os.environ if environ is None else environ
    trees: list[Node] = []
    readings: list[FileReading] = []
    for file in files:
        tree, reading = read_config_file(file, env)
        _check_unique_monitors(tree)
        trees.append(tree)
        readings.append(reading)
    unset = [ref for r in readings for ref in r.unset]
    if unset:
        raise UnsetVariableError(unset)
    secrets = set().union(*(r.secrets for r in readings))
    problems = [p for r in readings for p in r.problems]
    merged = merge_trees(trees)
    data = merged.plain()
    _default_files(data, Path(files[0]).resolve().parent)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems.extend(_problems(exc, merged, secrets))
    if problems:
        rank = {os.fspath(f): i for i, f in enumerate(files)}
        problems.sort(key=lambda p: (rank.get(p.file or "", len(rank)), p.line or 0))
        raise ConfigValidationError(problems)
    return config
