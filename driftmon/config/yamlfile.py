"""Read YAML config files into located nodes: every value remembers its file and line.

`${NAME}` references are substituted while reading (`${NAME:-default}` gives a default,
`$${` writes a literal `${`), relative paths are resolved against the directory of the config
file they are written in (source and reference paths, SQLite files in database and source
URLs, notifiers' dead-letter files; with or without a `${...}` in them), and passwords written
into the file itself are refused.

The tree is built from the nodes PyYAML composes (each with its start mark), by walking them:
aliases and `<<` merge keys are expanded there, so a recursive alias, an alias bomb (more than
MAX_REPEATED repeated values) and nesting deeper than MAX_DEPTH are refused with their line,
and so is an empty file, a file that is not UTF-8 and a scalar PyYAML cannot construct.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from driftmon.errors import ConfigFileError, ConfigProblem, ConfigSyntaxError

_REFERENCE = re.compile(r"\$(\$?)\{([^}]*)(\}?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONTAINER_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}
Key = str | int


@dataclass(slots=True)
class Node:
    """A YAML value with where it was written. Mappings hold dict[str, Node], lists list[Node]."""

    value: Any
    file: str
    line: int

    def plain(self) -> Any:
        """Return the value as plain Python (dicts, lists, scalars)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value

    def find(self, path: tuple[Key, ...]) -> tuple[Node, int]:
        """Return the deepest node along `path` and how many path elements were matched."""
        node, depth = self, 0
        for key in path:
            child = None
            if isinstance(node.value, dict) and isinstance(key, str):
                child = node.value.get(key)
            elif isinstance(node.value, list) and isinstance(key, int) and 0 <= key < len(node.value):
                child = node.value[key]
            if child is None:
                break
            node, depth = child, depth + 1
        return node, depth


@dataclass
class FileReading:
    """What reading one file produced, besides its tree."""

    secrets: set[str] = field(default_factory=set)
    unset: list[tuple[str, str | None, int | None, str]] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)


def substitute(text: str, environ: Mapping[str, str]) -> tuple[str, list[str], list[str], str | None]:
    """Replace `${NAME}` references; return (text, variables used, variables unset, malformed ref)."""
    used: list[str] = []
    unset: list[str] = []
    malformed: str | None = None

    def replace(match: re.Match[str]) -> str:
        nonlocal malformed
        escaped, body, closed = match.groups()
        if escaped:
            return "${" + body + closed
        name, sep, default = body.partition(":-")
        if not closed or not _NAME.fullmatch(name) or (sep == "" and ":" in body):
            malformed = malformed or match.group(0)
            return match.group(0)
        used.append(name)
        if name in environ:
            return environ[name]
        if sep:
            return default
        unset.append(name)
        return ""

    return _REFERENCE.sub(replace, text), used, unset, malformed


def format_path(path: tuple[Key, ...]) -> str:
    """Format a path the way errors show it: `monitors[2].columns[0].bins`."""
    out = ""
    for key in path:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else str(key)
    return out


def _is_source_path(path: tuple[Key, ...]) -> bool:
    return len(path) >= 2 and path[-1] == "path" and path[-2] in ("source", "reference")


def _absolute(value: str) -> bool:
    # A URL (s3a://bucket/events, hdfs://nn/data) is read by Spark as given.
    return os.path.isabs(value) or "://" in value


def _is_dead_letter(path: tuple[Key, ...]) -> bool:
    return len(path) == 3 and path[0] == "notifiers" and path[2] == "dead_letter"


_SQLITE_FILE = re.compile(r"(sqlite(?:\+\w+)?:///)([^?]*)(.*)", re.DOTALL)


def sqlite_url_from(base: Path, url: str) -> str:
    """Return a SQLite URL whose relative file path is made absolute from `base` (other URLs as given)."""
    match = _SQLITE_FILE.fullmatch(url)
    if match is None:
        return url
    prefix, file, query = match.groups()
    if not file or file == ":memory:" or file.startswith(("file:", "/", "~")):
        return url
    return f"{prefix}{base / file}{query}"


def _is_database_url(path: tuple[Key, ...]) -> bool:
    return path == ("database", "url") or (len(path) >= 2 and path[-2:] == ("source", "url"))


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"  # the `<<` key
_VALUE_TAG = "tag:yaml.org,2002:value"  # the `=` key, read as text
# Text under these keys is checked or rewritten even without a `${...}` reference in it.
_CHECKED_KEYS = {"path", "url", "api_token", "dead_letter"}
# No config nests anywhere near this deep; deeper input would only exhaust the stack.
MAX_DEPTH = 64
# Values that aliases and `<<` merges may repeat in one file: far more than sharing settings
# needs (a column list aliased into 1,000 monitors is about 60,000), and a 'billion laughs'
# bomb is refused within about 20 MB instead of growing to GBs.
MAX_REPEATED = 250_000

# libyaml's parser and composer when PyYAML was built with it (much faster), else pure Python.
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


class _Reader:
    """Walk the YAML nodes PyYAML composed for one file into a located tree.

    An alias is its anchor's own node, met again by the walk. Met again inside itself, it is a
    recursive alias (refused). Otherwise its values are built once more for their new place:
    those, and the pairs `<<` merges put in, count up to MAX_REPEATED.
    """

    def __init__(
        self, file: str, environ: Mapping[str, str], loader: yaml.SafeLoader | yaml.CSafeLoader
    ) -> None:
        self.file = file
        self.base = Path(file).resolve().parent
        self.environ = environ
        self.loader = loader
        self.result = FileReading()
        self.seen: set[int] = set()  # collections walked already
        self.open: set[int] = set()  # collections being walked now
        self.alias: tuple[yaml.Node, tuple[Key, ...]] | None = None  # the outermost alias being walked
        self.repeated = 0

    def problem(self, line: int, path: tuple[Key, ...], message: str) -> None:
        self.result.problems.append(ConfigProblem(self.file, line, format_path(path), message))

    def refuse(self, node: yaml.Node, path: tuple[Key, ...], message: str) -> NoReturn:
        where = format_path(path) or "top level"
        raise ConfigSyntaxError(self.file, node.start_mark.line + 1, f"{where}: {message}")

    def repeat(self, count: int, node: yaml.Node, path: tuple[Key, ...]) -> None:
        self.repeated += count
        if self.repeated > MAX_REPEATED:
            node, path = self.alias or (node, path)
            self.refuse(
                node,
                path,
                f"aliases and merge keys repeat more than {MAX_REPEATED:,} values (an alias bomb?); "
                f"this one repeats the value anchored at line {node.start_mark.line + 1}. "
                "Write shared settings once, e.g. under `defaults:`",
            )

    def enter(self, node: yaml.Node, path: tuple[Key, ...]) -> bool:
        """Start walking a collection; return whether it was walked before (this is an alias of it)."""
        if id(node) in self.open:
            line = node.start_mark.line + 1
            self.refuse(node, path, f"recursive alias: the value anchored at line {line} contains itself")
        again = id(node) in self.seen
        self.seen.add(id(node))
        self.open.add(id(node))
        return again

    def walk(self, node: yaml.Node, path: tuple[Key, ...]) -> Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            if self.alias is not None:
                self.repeat(1, node, path)
            # A text scalar is its own value; other tags are constructed by PyYAML.
            value = node.value if node.tag == _STR_TAG else self.construct(node, path)
            if isinstance(value, str) and ("$" in value or (path and path[-1] in _CHECKED_KEYS)):
                value = self.scalar(value, line, path)
            return Node(value, self.file, line)
        if node.tag not in _CONTAINER_TAGS:
            self.refuse(node, path, f"unsupported tag {node.tag}")
        if len(path) >= MAX_DEPTH:
            self.refuse(node, path[:4], f"nested more than {MAX_DEPTH} levels deep")
        outermost = self.enter(node, path) and self.alias is None
        if outermost:
            self.alias = (node, path)
        if self.alias is not None:
            self.repeat(1, node, path)
        if isinstance(node, yaml.MappingNode):
            items: dict[str, Node] | list[Node] = self.mapping(node, path)
        else:
            items = [self.walk(v, (*path, i)) for i, v in enumerate(node.value)]
        if outermost:
            self.alias = None
        self.open.discard(id(node))
        return Node(items, self.file, line)

    def construct(self, node: yaml.ScalarNode, path: tuple[Key, ...]) -> Any:
        """Construct a scalar of another tag than text (numbers, booleans, dates, `!!binary`)."""
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # PyYAML's constructors let ValueError, KeyError, ... escape
            tag = node.tag.rpartition(":")[2]
            self.refuse(node, path, f"cannot read {_shown(node.value)} as {tag}: {exc}")

    def mapping(self, node: yaml.MappingNode, path: tuple[Key, ...]) -> dict[str, Node]:
        out: dict[str, Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in self.pairs(node, path):
            key = self.key(key_node, path)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in out:
                raise ConfigSyntaxError(
                    self.file,
                    line,
                    f"{format_path((*path, key))}: key {key!r} appears twice in one mapping "
                    f"(lines {lines[key]} and {line})",
                )
            lines[key] = line
            out[key] = self.walk(value_node, (*path, key))
        return out

    def pairs(self, node: yaml.MappingNode, path: tuple[Key, ...]) -> list[tuple[yaml.Node, yaml.Node]]:
        """Return a mapping's key and value nodes with `<<` merges put in, as PyYAML's own loaders do.

        The merged pairs come first (a merged key written again is a repeated key), of the first
        mapping listed last.
        """
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in reversed(sources):
                if not isinstance(source, yaml.MappingNode):
                    self.refuse(
                        source,
                        (*path, "<<"),
                        f"expected a mapping or a list of mappings to merge, found {source.id}",
                    )
                self.enter(source, path)
                pairs = self.pairs(source, path)
                self.open.discard(id(source))
                self.repeat(len(pairs), source, path)
                merged.extend(pairs)
        return merged + own

    def key(self, key_node: yaml.Node, path: tuple[Key, ...]) -> str | None:
        """Return a mapping key's text; None (a problem noted) if it is not text."""
        if not isinstance(key_node, yaml.ScalarNode):
            shown = "a mapping" if isinstance(key_node, yaml.MappingNode) else "a list"
        elif key_node.tag in (_STR_TAG, _VALUE_TAG):
            return str(key_node.value)
        else:
            shown = repr(self.construct(key_node, path))
        self.problem(key_node.start_mark.line + 1, path, f"keys must be text, got {shown}")
        return None

    def scalar(self, text: str, line: int, path: tuple[Key, ...]) -> str:
        value = text
        used: list[str] = []
        if "$" in text:
            value, used, unset, malformed = substitute(text, self.environ)
            if malformed:
                self.problem(
                    line,
                    path,
                    f"malformed variable reference {malformed!r}; write ${{NAME}} or ${{NAME:-default}} "
                    "(and $${ for a literal ${)",
                )
            if unset:
                where = format_path(path)
                for name in unset:
                    self.result.unset.append((name, self.file, line, where))
            for name in used:
                secret = self.environ.get(name, "")
                if len(secret) >= 4:
                    self.result.secrets.add(secret)
        if (_is_source_path(path) or _is_dead_letter(path)) and value and not _absolute(value):
            value = str(self.base / os.path.expanduser(value))
        if _is_database_url(path):
            value = sqlite_url_from(self.base, value)
            if not used and _has_password(value):
                self.problem(
                    line,
                    path,
                    "the URL holds a password written into the file; reference it from the environment "
                    "instead, e.g. url: ${DRIFTMON_DATABASE_URL} or postgresql://user:${DB_PASSWORD}@host/db",
                )
        if path == ("server", "api_token") and not used:
            self.problem(
                line, path, "the API token must come from the environment, e.g. ${DRIFTMON_API_TOKEN}"
            )
        return value


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url  # imported when a URL is read: sqlalchemy is slow to import

    try:
        return make_url(url).password is not None
    except Exception:
        return False


def read_config_file(path: str | os.PathLike[str], environ: Mapping[str, str]) -> tuple[Node, FileReading]:
    """Read one YAML config file into a located tree; refuse an empty one (`{}` sets nothing)."""
    file = os.fspath(path)
    try:
        data = Path(file).read_bytes()
    except FileNotFoundError:
        raise ConfigFileError(file, "no such file") from None
    except IsADirectoryError:
        raise ConfigFileError(file, "it is a directory") from None
    except OSError as exc:
        raise ConfigFileError(file, exc.strerror or str(exc)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigSyntaxError(
            file,
            data.count(b"\n", 0, exc.start) + 1,
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
        ) from None
    loader = None
    try:
        loader = _LOADER(text)  # the pure-Python reader checks the characters here
        reader = _Reader(file, environ, loader)
        root = loader.get_single_node()
        if root is None:
            raise ConfigSyntaxError(
                file, None, "the file is empty (write `{}` for a file that sets nothing on purpose)"
            )
        tree = reader.walk(root, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(filter(None, [exc.context, exc.problem]))
        raise ConfigSyntaxError(file, line, f"not valid YAML: {reason}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML refuses anywhere: its first one is the culprit
        line = text.count("\n", 0, max(0, text.find(chr(exc.character)))) + 1
        raise ConfigSyntaxError(
            file, line, f"not valid YAML: character #x{exc.character:04x}: {exc.reason}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigSyntaxError(file, None, f"not valid YAML: {exc}") from None
    except RecursionError:  # PyYAML's pure-Python composer recurses once per nesting level
        raise ConfigSyntaxError(file, None, f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(tree.value, dict):
        raise ConfigSyntaxError(
            file, tree.line, "the top level must be a mapping (database:, server:, defaults:, monitors:)"
        )
    return tree, reader.result


def iter_named(node: Node) -> Iterator[tuple[str | None, Node]]:
    """Yield (name, node) for the items of a list of named mappings (a bare string names itself)."""
    for item in node.value if isinstance(node.value, list) else []:
        if isinstance(item.value, dict):
            name = item.value.get("name")
            yield (name.value if name is not None and isinstance(name.value, str) else None), item
        elif isinstance(item.value, str):
            yield item.value, Node({"name": Node(item.value, item.file, item.line)}, item.file, item.line)
        else:
            yield None, item
