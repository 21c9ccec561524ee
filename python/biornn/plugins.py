"""Every plugin with its options, defaults and ranges, as data (what --list-plugins prints)."""
from ._native import native
from .graph import default_session


def plugins(kind=None, session=None):
    """[{kind, name, doc, origin, options: [{name, type, default, doc, min, max, min_exclusive,
    choices}]}], for one kind ("cell", "gate", "scaling", "constraint", "dataset", "optimizer") or all."""
    found = (session or default_session()).plugins()
    return [p for p in found if kind is None or p["kind"] == kind]


def train_options():
    """The [train] table's options."""
    return native.train_schema()


def readout_options():
    return native.readout_schema()


def plugin_table(kind=None, session=None):
    """One row per (plugin, option) as a pandas DataFrame (needs python3-pandas)."""
    import pandas

    rows = []
    for p in plugins(kind, session):
        for o in p["options"] or [{}]:
            rows.append({"kind": p["kind"], "plugin": p["name"], "option": o.get("name"),
                         "type": o.get("type"), "default": o.get("default"), "min": o.get("min"),
                         "max": o.get("max"), "choices": ", ".join(o.get("choices", [])), "doc": o.get("doc")})
    return pandas.DataFrame(rows)
