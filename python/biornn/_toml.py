"""A dict as TOML text (Python 3.11 reads TOML with tomllib but does not write it).

Only what graphs use: tables, inline tables, strings, numbers, booleans and lists of those.
A class (e.g. a biornn.Task subclass) given as a value becomes its "module.Class" string's
two options: it is written as `module = "..."` and `class = "..."` (see graph_from_dict).
"""
import json
import math


def value(v, where):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{where}: {v} is not a finite number")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(x, f"{where}[{i}]") for i, x in enumerate(v)) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {value(x, f'{where}.{k}')}" for k, x in v.items()) + " }"
    raise TypeError(f"{where}: cannot write a {type(v).__name__} in a graph (use a number, string, bool, list or dict)")


def key(k):
    k = str(k)
    return k if k and all(c.isalnum() or c in "_-" for c in k) else json.dumps(k)


def dumps(d, prefix=""):
    """TOML text of a nested dict: scalars first, then one [table] per nested dict."""
    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict) and not _inline(k, prefix):
            tables.append((k, v))
        else:
            lines.append(f"{key(k)} = {value(v, prefix + str(k))}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in tables:
        name = f"{prefix}{key(k)}"
        out += f"\n[{name}]\n" + dumps(v, name + ".")
    return out


def _inline(k, prefix):
    # A node's gate, scaling and constraints are written inline, as the graphs in graphs/ do.
    return prefix.startswith("nodes.") and prefix.count(".") >= 2
