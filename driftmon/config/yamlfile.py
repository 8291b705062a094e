"""Read YAML config files into located nodes: every value remembers its file and line.

`${NAME}` references are substituted while reading (`${NAME:-default}` gives a default,
`$${` writes a literal `${`), relative paths are resolved against the directory of the config
file they are written in (source and reference paths, SQLite files in database and source
URLs, notifiers' dead-letter files; with or without a `${...}` in them), and passwords written
into the file itself are refused.
"""

from __future__ import annotations

import functools
import operator
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from driftmon.errors import ConfigFileError, ConfigProblem, ConfigSyntaxError

__all__ = ["Node", "read_config_file", "sqlite_url_from", "substitute"]

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
    from_env: bool = False
    # The plain value of a mapping or list, when it was built along with the node.
    built: dict[str, Any] | list[Any] | None = field(default=None, repr=False, compare=False)

    def plain(self) -> Any:
        """Return the value as plain Python (dicts, lists, scalars)."""
        if self.built is not None:
            return self.built
        value = self.value
        if isinstance(value, dict):
            return {k: v.plain() if isinstance(v.value, dict | list) else v.value for k, v in value.items()}
        if isinstance(value, list):
            return [v.plain() if isinstance(v.value, dict | list) else v.value for v in value]
        return value

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
# Keys whose tags make `flatten_mapping` change a mapping: `<<` merges and the `=` value key.
_FLATTEN_TAGS = {"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"}
# Text under these keys is checked or rewritten even without a `${...}` reference in it.
_CHECKED_KEYS = {"path", "url", "api_token", "dead_letter"}


def _resolve_in_c(loader: yaml.SafeLoader | yaml.CSafeLoader) -> None:
    """Give the composer C-level stand-ins for the three resolver calls it makes on every node.

    Without path resolvers (PyYAML registers none for its safe loaders) `descend_resolver` and
    `ascend_resolver` do nothing, and a node's tag depends on its kind, text and style alone, so
    it is resolved once per distinct scalar by PyYAML's own `resolve` and then remembered. A
    large config repeats the same keys and values thousands of times; a Python call per node
    for these took a third of the time libyaml spent composing.
    """
    if loader.yaml_path_resolvers:
        return
    vars(loader).update(
        descend_resolver=operator.is_,  # takes (parent, index), does nothing that matters
        ascend_resolver=tuple,  # takes nothing, does nothing that matters
        resolve=functools.lru_cache(maxsize=None)(loader.resolve),
    )


def _forget_resolver(loader: yaml.SafeLoader | yaml.CSafeLoader) -> None:
    # The remembered `resolve` refers back to the loader: break the cycle when reading ends.
    for name in ("descend_resolver", "ascend_resolver", "resolve"):
        vars(loader).pop(name, None)


class _PureLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        _resolve_in_c(self)

    def dispose(self) -> None:
        super().dispose()
        _forget_resolver(self)


if TYPE_CHECKING:
    _Loader = _PureLoader | yaml.CSafeLoader

_LOADER: type[_Loader] = _PureLoader
if getattr(yaml, "__with_libyaml__", False):  # without libyaml, PyYAML has no CSafeLoader at all

    class _CLoader(yaml.CSafeLoader):
        """The safe loader on libyaml's parser and composer (much faster); nodes keep their lines."""

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            _resolve_in_c(self)

        def dispose(self) -> None:
            super().dispose()
            _forget_resolver(self)

    _LOADER = _CLoader


class _Reader:
    def __init__(self, file: str, environ: Mapping[str, str]) -> None:
        self.file = file
        self.base = Path(file).resolve().parent
        self.environ = environ
        self.result = FileReading()

    def problem(self, line: int, path: tuple[Key, ...], message: str) -> None:
        self.result.problems.append(ConfigProblem(self.file, line, format_path(path), message))

    def walk(self, loader: _Loader, node: yaml.Node, path: tuple[Key, ...]) -> Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            # A text scalar is its own value: skip the constructor's dispatch for the commonest case.
            value = node.value if node.tag == _STR_TAG else loader.construct_object(node, deep=True)
            if isinstance(value, str) and ("$" in value or (path and path[-1] in _CHECKED_KEYS)):
                value, from_env = self.scalar(value, line, path)
                return Node(value, self.file, line, from_env)
            return Node(value, self.file, line)
        if node.tag not in _CONTAINER_TAGS:
            raise ConfigSyntaxError(
                self.file, line, f"{format_path(path) or 'top level'}: unsupported tag {node.tag}"
            )
        if isinstance(node, yaml.MappingNode):
            return self.mapping(loader, node, path)
        items = [self.walk(loader, v, (*path, i)) for i, v in enumerate(node.value)]
        return Node(items, self.file, line, built=[n.value if n.built is None else n.built for n in items])

    def mapping(self, loader: _Loader, node: yaml.MappingNode, path: tuple[Key, ...]) -> Node:
        for key_node, _ in node.value:
            if key_node.tag in _FLATTEN_TAGS:
                loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
                break
        file = self.file
        out: dict[str, Node] = {}
        built: dict[str, Any] = {}  # the plain value, built along with the tree
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and type(key_node) is yaml.ScalarNode:
                key = key_node.value
            else:
                key = self.key(loader, key_node, path)
                if key is None:
                    continue
            if key in out:
                self.repeated(loader, node, key_node, key, path)
            # Most values are plain text needing nothing more (what walk() would do, without the call).
            if (
                value_node.tag == _STR_TAG
                and type(value_node) is yaml.ScalarNode
                and key not in _CHECKED_KEYS
                and "$" not in value_node.value
            ):
                out[key] = Node(value_node.value, file, value_node.start_mark.line + 1)
                built[key] = value_node.value
            else:
                child = out[key] = self.walk(loader, value_node, (*path, key))
                built[key] = child.value if child.built is None else child.built
        return Node(out, file, node.start_mark.line + 1, built=built)

    def key(self, loader: _Loader, key_node: yaml.Node, path: tuple[Key, ...]) -> str | None:
        """Construct a key that is not a plain text scalar; None (a problem noted) if it is not text."""
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str):
            return key
        self.problem(key_node.start_mark.line + 1, path, f"keys must be text, got {key!r}")
        return None

    def repeated(
        self, loader: _Loader, node: yaml.MappingNode, key_node: yaml.Node, key: str, path: tuple[Key, ...]
    ) -> NoReturn:
        """Refuse `key` written a second time in one mapping, naming the lines of both."""
        first = next(
            k.start_mark.line + 1
            for k, _ in node.value
            if (
                k.value
                if k.tag == _STR_TAG and type(k) is yaml.ScalarNode
                else loader.construct_object(k, deep=True)
            )
            == key
        )
        line = key_node.start_mark.line + 1
        raise ConfigSyntaxError(
            self.file,
            line,
            f"{format_path((*path, key))}: key {key!r} appears twice in one mapping "
            f"(lines {first} and {line})",
        )

    def scalar(self, text: str, line: int, path: tuple[Key, ...]) -> tuple[str, bool]:
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
        if _is_database_url(path) and not used and _has_password(value):
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
        return value, bool(used)


def _has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url  # imported when a URL is read: sqlalchemy is slow to import

    try:
        return make_url(url).password is not None
    except Exception:
        return False


def read_config_file(path: str | os.PathLike[str], environ: Mapping[str, str]) -> tuple[Node, FileReading]:
    """Read one YAML config file into a located tree (an empty file is an empty mapping)."""
    file = os.fspath(path)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(file, "no such file") from None
    except IsADirectoryError:
        raise ConfigFileError(file, "it is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(file, str(exc)) from None
    reader = _Reader(file, environ)
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        tree = reader.walk(loader, root, ()) if root is not None else Node({}, file, 1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(filter(None, [exc.context, exc.problem]))
        raise ConfigSyntaxError(file, line, f"not valid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise ConfigSyntaxError(file, None, f"not valid YAML: {exc}") from None
    finally:
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
