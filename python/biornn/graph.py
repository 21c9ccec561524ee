"""Graphs: from a file, a TOML string or a dict, with overrides, validated exactly as the CLI
validates them (the same C++ parser). A bad graph raises biornn.Error (a ValueError) with the
CLI's one-line message, file:line:column first."""
import functools
import inspect
import json
import pathlib
import tomllib

from . import _toml
from ._native import native, plugin_directories


@functools.lru_cache(maxsize=None)
def default_session():
    """The registry of built-in plugins, the built plugin .so files and python_task (one per process)."""
    return native.Session(plugin_directories())


def _overrides(overrides):
    """{"train.epochs": 1} or ["train.epochs=1"] -> the CLI's --set strings."""
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return [f"{k}={_toml.value(v, k)}" for k, v in overrides.items()]
    if isinstance(overrides, str):
        raise TypeError("overrides: give a dict {'train.epochs': 1} or a list ['train.epochs=1'], not a string")
    return [str(o) for o in overrides]


class Graph:
    """A parsed, validated graph: every default filled in and every override applied."""

    def __init__(self, native_graph):
        self._g = native_graph

    # --- construction ----------------------------------------------------------------------
    @classmethod
    def from_file(cls, path, overrides=None, session=None):
        session = session or default_session()
        return cls(session.parse_file(str(pathlib.Path(path).resolve()), _overrides(overrides)))

    @classmethod
    def from_toml(cls, text, overrides=None, name=None, session=None):
        """`name` names the run directory (runs/<name>/NNN); default: the text's `name`, else "graph".
        Messages give positions as <string>:line:column."""
        session = session or default_session()
        overrides = _overrides(overrides)
        if name is None and "name" not in _top_keys(text):
            name = "graph"
        if name is not None:
            overrides = [f"name={json.dumps(name)}"] + overrides
        return cls(session.parse_text(text, "<string>", overrides))

    @classmethod
    def from_dict(cls, d, overrides=None, name=None, session=None):
        """A dict shaped like a graph file. A node's "task" may be a Python class (a biornn.Task
        subclass): it becomes plugin = "python_task" with its module and class."""
        return cls.from_toml(_toml.dumps(_with_tasks(d)), overrides, name, session)

    def with_overrides(self, overrides):
        """The same graph (as resolved) with more overrides applied."""
        g = Graph.from_toml(self.toml, overrides, session=self.session)
        return g

    # --- what it says -----------------------------------------------------------------------
    session = property(lambda self: self._g.session)
    name = property(lambda self: self._g.name)
    path = property(lambda self: self._g.path)
    description = property(lambda self: self._g.description)
    toml = property(lambda self: self._g.toml, doc="the resolved graph (what graph.toml of a run holds)")
    train = property(lambda self: self._g.train, doc="the [train] table, every default filled in")
    optimizer = property(lambda self: self._g.optimizer)
    dataset = property(lambda self: self._g.dataset)
    layers = property(lambda self: self._g.layers)
    readout = property(lambda self: self._g.readout)

    def to_dict(self):
        return tomllib.loads(self.toml)

    def __repr__(self):
        layers = ", ".join(f"{l['node']}: {l['cell']['plugin']} x{l['hidden']}" for l in self.layers)
        return f"<biornn.Graph {self.name!r}: {self.dataset['plugin']} -> {layers}>"


def _top_keys(text):
    try:
        return tomllib.loads(text).keys()
    except tomllib.TOMLDecodeError:
        return ()  # the C++ parser reports it, with its position


def _with_tasks(d):
    """Copies `d`, replacing a node's "task": <class> by python_task's module and class options."""
    d = dict(d)
    nodes = {}
    for name, node in d.get("nodes", {}).items():
        node = dict(node)
        task = node.pop("task", None)
        if task is not None:
            if not inspect.isclass(task):
                raise TypeError(f"nodes.{name}.task: give the task's class (not an instance), e.g. task = MyTask")
            node.setdefault("plugin", "python_task")
            node["module"], node["class"] = task.__module__, task.__qualname__
            if isinstance(node.get("arguments"), dict):
                node["arguments"] = json.dumps(node["arguments"])
        nodes[name] = node
    if nodes:
        d["nodes"] = nodes
    return d


def load_graph(source, overrides=None, session=None):
    """A graph from a path, a TOML string (any text with a newline or '['), a dict, or a Graph."""
    if isinstance(source, Graph):
        return source.with_overrides(overrides) if overrides else source
    if isinstance(source, dict):
        return Graph.from_dict(source, overrides, session=session)
    if isinstance(source, pathlib.Path) or ("\n" not in source and "=" not in source):
        return Graph.from_file(source, overrides, session)
    return Graph.from_toml(source, overrides, session=session)
