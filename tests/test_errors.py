"""Every exception class driftmon defines derives from DriftmonError (and keeps its built-in base)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import driftmon
from driftmon.errors import ConfigError, DriftmonError, UnknownMonitorError
from driftmon.store import StoreError


def _exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(driftmon.__path__, "driftmon."):
        if info.name == "driftmon.__main__":  # importing it runs the command line
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def test_every_exception_class_derives_from_driftmon_error() -> None:
    classes = _exception_classes()
    assert len(classes) > 50  # the walk reached every package (store, alerts, http, pages, core, ...)
    outside = [f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, DriftmonError)]
    assert outside == []


def test_errors_keep_the_built_in_callers_catch() -> None:
    assert issubclass(ConfigError, ValueError)
    assert issubclass(UnknownMonitorError, LookupError)
    assert issubclass(StoreError, DriftmonError)
    assert not issubclass(DriftmonError, ValueError)
