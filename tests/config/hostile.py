"""Config files that an operator's slip or an attacker hands driftmon, each made from a good one.

`hostile(good)` returns, per case, the bytes to write in place of the good file (None: the file
is gone) and a fragment the refusal must say. Shared by the loader tests and the SIGHUP tests.
"""

from __future__ import annotations

# Nine levels of nine aliases: 9**9 (387 million) strings once expanded.
BILLION_LAUGHS = "\n".join(
    [
        'x-lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"x-lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 10)),
    ]
)


def hostile(good: str) -> dict[str, tuple[bytes | None, str]]:
    """Return {case: (file content or None for a vanished file, what the refusal says)}.

    `good` must hold a `size: 1h` window and end with a newline.
    """
    assert "size: 1h" in good, good
    assert good.endswith("\n"), good
    lines = good.count("\n")
    return {
        "out-of-range duration": (
            good.replace("size: 1h", "size: 99999999999999999999d", 1).encode(),
            "invalid duration '99999999999999999999d': out of range; at most 36525d (100 years)",
        ),
        "recursive alias": (
            (good + "x-loop: &loop {again: *loop}\n").encode(),
            f":{lines + 1}: x-loop.again: recursive alias: "
            f"the value anchored at line {lines + 1} contains itself",
        ),
        "billion laughs": (
            (good + BILLION_LAUGHS + "\n").encode(),
            f":{lines + 5}: x-lol5[2]: aliases and merge keys repeat more than 250,000 values "
            f"(an alias bomb?); this one repeats the value anchored at line {lines + 5}",
        ),
        "vanished file": (None, "cannot read the config file: no such file"),
        "not UTF-8": (
            good.encode() + b"# caf\xe9 in Latin-1\n",
            f":{lines + 1}: not valid UTF-8: byte 0xe9",
        ),
        "empty file": (b"", "the file is empty"),
    }
