"""libarrowcid.so as a loader: it runs the best build of the library this CPU runs, every build
gives the same results, ARROWCID_ISA caps the level, and without a build every call fails with
the reason instead of crashing.

Each case runs in a child interpreter: the loader chooses once per process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import arrowcid

ROOT = Path(__file__).resolve().parents[3]
LEVELS = ["x86-64-v4", "x86-64-v3", "x86-64-v2"]

# The CPU features (as /proc/cpuinfo names them) each level needs beyond the one below. LZCNT
# ("abm") is left out of v3: every CPU with AVX2, BMI1/2 and FMA has it, and a sandbox's
# /proc/cpuinfo may not list it (gVisor on an AMD EPYC: CPUID says LZCNT, the flags leave "abm" out).
NEEDS = {
    "x86-64-v2": {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"},
    "x86-64-v3": {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "movbe", "xsave"},
    "x86-64-v4": {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}

# A table of several batches, big enough for the vector paths of the row hashes and
# the boundary search; prints the level in use and the CID (or the failure) as JSON.
CHILD = r"""
import json, sys
import arrowcid
from arrowcid.testing import Int64Table
batches = [{"a": [i * 2654435761 % 1000003 - 500000 for i in range(b * 40000, (b + 1) * 40000)],
            "b": list(range(b * 40000, (b + 1) * 40000))} for b in range(5)]
table = Int64Table(batches)
result = {"isa": arrowcid.isa(), "version": arrowcid.version()}
try:
    result["cid"] = arrowcid.cid_of(table)
except arrowcid.ArrowCidError as e:
    result["error"] = [type(e).__name__, e.code, str(e)]
result["released"] = table.released
# The raw call: a stream handed in is moved (its release set to NULL) whatever the result.
import ctypes
from arrowcid import _cdata, _library
capsule = Int64Table(batches[:1]).__arrow_c_stream__()
stream = ctypes.cast(_cdata.capsule_pointer(capsule, _cdata.STREAM_CAPSULE), ctypes.POINTER(_cdata.ArrowArrayStream))
_library.lib().arrowcid_cid_of(stream, ctypes.create_string_buffer(128), 128)
result["moved"] = not stream.contents.release
print(json.dumps(result))
"""


def cpu_levels() -> list[str]:
    """The levels this CPU runs, best first (from the flags Linux reports)."""
    flags: set[str] = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    runs = []
    for level in reversed(LEVELS):
        if not NEEDS[level] <= flags:
            break
        runs.insert(0, level)
    return runs


def child(cap: str | None) -> dict[str, object]:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(ROOT / "clients" / "python")
    environment.pop("ARROWCID_ISA", None)
    if cap is not None:
        environment["ARROWCID_ISA"] = cap
    done = subprocess.run([sys.executable, "-c", CHILD], env=environment, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_loader_runs_the_best_build_this_cpu_runs() -> None:
    assert arrowcid.isa() == cpu_levels()[0]
    assert child(None)["isa"] == cpu_levels()[0]


def test_every_level_this_cpu_runs_gives_the_same_cid() -> None:
    results = {level: child(level) for level in cpu_levels()}
    for level, result in results.items():
        assert result["isa"] == level, result
        assert "error" not in result, result
        assert result["released"] == 1
        assert result["moved"] is True
    assert len({result["cid"] for result in results.values()}) == 1, results


def test_arrowcid_isa_caps_the_level_and_never_goes_above_the_cpu() -> None:
    runs = cpu_levels()
    for cap in LEVELS:
        allowed = LEVELS[LEVELS.index(cap):]
        assert child(cap)["isa"] == next(level for level in runs if level in allowed)


def test_without_a_build_every_call_fails_with_the_reason_and_still_moves_its_stream() -> None:
    result = child("x86-64-v9")
    assert result["isa"] == "none"
    assert result["version"] == arrowcid.version()
    name, code, message = result["error"]  # type: ignore[misc]
    assert (name, code) == ("InternalError", -9)
    assert "ARROWCID_ISA=x86-64-v9" in message
    assert result["released"] == 1
    assert result["moved"] is True


def test_the_loader_forwards_every_function_of_the_header_and_each_build_exports_them() -> None:
    folder = Path(arrowcid.library_path()).parent
    header = (ROOT / "include" / "arrowcid.h").read_text()
    declared = set(re.findall(r"^[a-z][\w ]*\*?\s*\b(arrowcid_\w+)\(", header, re.MULTILINE))
    assert {"arrowcid_version", "arrowcid_isa", "arrowcid_cid_of", "arrowcid_shm_next"} <= declared

    def exported(library: Path) -> set[str]:
        listing = subprocess.run(["nm", "-D", "--defined-only", str(library)], check=True, capture_output=True, text=True).stdout
        # NativeAOT's builds version their symbols (name@@V1.0).
        names = {line.split()[-1].split("@")[0] for line in listing.splitlines()}
        return {name for name in names if name.startswith("arrowcid_")}

    assert exported(folder / "libarrowcid.so") == declared
    for level in LEVELS:
        assert exported(folder / f"libarrowcid.{level}.so") == declared, level
