"""Finds and loads the extension module that Bazel built (biornn/_biornn.so under bazel-bin).

The package's Python files live in the source tree (python/biornn/); the extension and the
plugin .so files live in Bazel's output tree. tools/python_setup.sh builds both and puts a
.pth file on Debian's python3 path pointing at python/. BIORNN_EXTENSION overrides the
extension's path and BIORNN_PLUGIN_PATH adds plugin directories (colon-separated).
"""
import importlib.util
import os
import pathlib
import sys

_HERE = pathlib.Path(__file__).resolve().parent
WORKSPACE = _HERE.parent.parent  # python/biornn -> the checkout


def _bazel_bin():
    return WORKSPACE / "bazel-bin"


def extension_path():
    override = os.environ.get("BIORNN_EXTENSION")
    path = pathlib.Path(override) if override else _bazel_bin() / "python" / "biornn" / "_biornn.so"
    if not path.exists():
        raise ImportError(
            f"biornn: the extension module {path} is not built; run tools/python_setup.sh "
            "(it builds //python:biornn/_biornn.so with Bazel and registers the package)")
    return path


def plugin_directories():
    # The plugins Bazel ships beside the extension (its runfiles), as the runners find theirs.
    dirs = [str(extension_path().parent / "_biornn.so.runfiles" / "biornn" / "plugins")]
    dirs += [d for d in os.environ.get("BIORNN_PLUGIN_PATH", "").split(":") if d]
    return dirs


def _load():
    path = extension_path()
    # Datasets are looked for under the workspace (data/, ../shared/data) as the CLI does.
    os.environ.setdefault("BIORNN_WORKSPACE", str(WORKSPACE))
    spec = importlib.util.spec_from_file_location("biornn._biornn", path)
    # Global symbols, as in the runners: plugin .so files (gru, lstm) resolve oneDNN's symbols
    # from the process, through the libraries the extension brings in (module_from_spec dlopens).
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | os.RTLD_GLOBAL)
    try:
        module = importlib.util.module_from_spec(spec)
    finally:
        sys.setdlopenflags(flags)
    sys.modules["biornn._biornn"] = module
    spec.loader.exec_module(module)
    return module


native = _load()
