"""biornn from Python: graphs, training with callbacks, runs, models with NumPy parameters,
one step and its Jacobian, fixed points and PCA, tasks written in Python, Optuna tuning.
The same C++ engine and the same run directories as the CLI (docs/python.md)."""
from ._native import native as _native
from .graph import Graph, default_session, load_graph
from .model import Model, pca, sample_starts
from .plugins import plugin_table, plugins, readout_options, train_options
from .run import Run, open_run
from .tasks import NeuroGymTask, Task
from .training import resume, train
from . import tuning

Error = _native.Error  # a ValueError: the CLI's one-line message, file:line:column first

__all__ = ["Error", "Graph", "Model", "NeuroGymTask", "Run", "Task", "default_session", "load_graph", "open_run",
           "pca", "plugin_table", "plugins", "readout_options", "resume", "sample_starts", "train",
           "train_options", "tuning"]
