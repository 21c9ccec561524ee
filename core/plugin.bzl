"""Plugin folders -> plugin .so files and their tests, with no BUILD file in any folder.

plugins/BUILD is the one package under plugins/ and calls biornn_plugins(), which globs
plugins/<kind>/<name>/ and declares, per folder (target names carry the folder path, so the
.so lands at bazel-bin/plugins/<kind>/<name>/<name>_plugin.so and the runfiles path is the
same as the source path):

  //plugins:<kind>/<name>/<name>_plugin.so        every *.cc except *_test.cc, and the *.h
  //plugins:<kind>/<name>/<name>_gradcheck_test   the shared finite-difference check of every
                                                  layer combination that involves the plugin
                                                  (kinds cells, gates, scalings, constraints),
                                                  tuned by <kind>/<name>/gradcheck.toml if any
  //plugins:<kind>/<name>/<name>_test             the folder's *_test.cc, if any

and //plugins:all, the filegroup of every plugin .so (what runners and tests ship as runfiles).
The folder <kind>/common is not a plugin: its *.cc/*.h form //plugins:<kind>/common/common,
linked into every plugin of that kind, and its *_testing.cc/*_testing.h form the testonly
//plugins:<kind>/common/common_testing, linked into that kind's tests. So a new plugin is a
new folder and nothing else: `bazel query //plugins:all` lists it at once.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

# The kinds whose plugins get the generated gradient check (a dataset has no gradients).
GRADCHECK_KINDS = ["cells", "gates", "scalings", "constraints"]

# What every plugin test links and may read: core, the test helpers, every plugin (to pair a
# plugin with others) and WORKSPACE (tests locate ../shared/data from it).
_TEST_DEPS = ["//core", "//core/testing", "//third_party:gtest_main"]
_TEST_DATA = [":all", "//:WORKSPACE"]

# Libraries that a kind's common folder calls directly, beyond the SDK.
_COMMON_DEPS = {"cells": ["//third_party:dnnl"]}

def _folders(files):
    """The <kind>/<name> folders of `files` ("cells/rate/rate.cc" -> "cells/rate"), sorted."""
    seen = {}
    for f in files:
        parts = f.split("/")
        seen[parts[0] + "/" + parts[1]] = True
    return sorted(seen.keys())

def _common_libraries(folder):
    """Declares the libraries of a kind's common folder; returns (plugin deps, test deps)."""
    srcs = native.glob([folder + "/*.cc"], exclude = [folder + "/*_testing.cc", folder + "/*_test.cc"])
    hdrs = native.glob([folder + "/*.h"], exclude = [folder + "/*_testing.h"])
    cc_library(
        name = folder + "/common",
        srcs = srcs,
        hdrs = hdrs,
        # Linked statically into each plugin .so; hidden so no two plugins export the same symbols.
        copts = ["-fvisibility=hidden"],
        # A kind's common code names the libraries it calls itself (the cells' oneDNN RNN), so
        # its plugins load in any host, not only in one that happens to have them loaded.
        deps = ["//core/sdk:headers"] + _COMMON_DEPS.get(folder.split("/")[0], []),
    )
    testing_srcs = native.glob([folder + "/*_testing.cc", folder + "/*_testing.h"])
    if not testing_srcs:
        return [":" + folder + "/common"], []
    cc_library(
        name = folder + "/common_testing",
        testonly = True,
        srcs = [f for f in testing_srcs if f.endswith(".cc")],
        hdrs = [f for f in testing_srcs if f.endswith(".h")],
        deps = _TEST_DEPS[:2] + ["//third_party:gtest", ":" + folder + "/common"],
    )
    return [":" + folder + "/common"], [":" + folder + "/common_testing"]

def _plugin(folder, deps, test_deps):
    """Declares one plugin folder's .so and tests; returns the .so's label."""
    kind, name = folder.split("/")
    so = folder + "/" + name + "_plugin.so"
    cc_binary(
        name = so,
        srcs = native.glob([folder + "/*.cc", folder + "/*.h"], exclude = [folder + "/*_test.cc"]),
        linkshared = True,
        copts = ["-fvisibility=hidden", "-fopenmp"],
        linkopts = ["-fopenmp"],
        deps = ["//core/sdk"] + deps,
    )
    if kind in GRADCHECK_KINDS:
        settings = native.glob([folder + "/gradcheck.toml"])
        cc_test(
            name = folder + "/" + name + "_gradcheck_test",
            size = "small",
            args = ["$(rootpath :%s)" % so] + ["$(rootpath :%s)" % f for f in settings],
            data = [":" + so, ":all"] + settings,
            deps = ["//core/testing:plugin_gradcheck_main"],
        )
    tests = native.glob([folder + "/*_test.cc"])
    if tests:
        cc_test(
            name = folder + "/" + name + "_test",
            srcs = tests,
            size = "medium",
            data = _TEST_DATA,
            deps = _TEST_DEPS + deps + test_deps,
        )
    return ":" + so

def biornn_plugins():
    """Every plugin folder under this package (plugins/): see the file's docstring."""
    plugins = []
    common = {}
    for folder in _folders(native.glob(["*/*/*"], exclude_directories = 1)):
        if folder.endswith("/common"):
            common[folder.split("/")[0]] = _common_libraries(folder)
    for folder in _folders(native.glob(["*/*/*.cc"])):
        if not folder.endswith("/common"):
            deps, test_deps = common.get(folder.split("/")[0], ([], []))
            plugins.append(_plugin(folder, deps, test_deps))
    native.filegroup(
        name = "all",
        srcs = plugins,
        visibility = ["//visibility:public"],
    )

# The headers a plugin compiles against: exactly the SDK's (core/sdk/BUILD fails when its folder
# and this list differ). Their hash is part of the ABI fingerprint (core/sdk/plugin_api.h) that
# the loader compares, so a plugin built against other headers is refused even when nobody
# bumped BIORNN_PLUGIN_API_VERSION.
INTERFACE_HEADERS = [
    "activation.h",
    "block.h",
    "cell.h",
    "constraint.h",
    "data_paths.h",
    "dataset.h",
    "derived_cell.h",
    "dual.h",
    "error.h",
    "gate.h",
    "optimizer.h",
    "packet.h",
    "options.h",
    "parameter_set.h",
    "plugin_api.h",
    "random.h",
    "recurrent_noise.h",
    "registry.h",
    "scaling.h",
    "tensor.h",
]

def interface_hash(name, srcs, out, macro = "BIORNN_INTERFACE_HASH"):
    """Writes `out`: #define `macro` as 16 hex digits of sha256 over srcs in order."""
    native.genrule(
        name = name,
        srcs = srcs,
        outs = [out],
        cmd = "echo '// Generated by interface_hash (core/plugin.bzl): do not edit.' > $@ && " +
              "echo \"#define " + macro + " \\\"$$(cat $(SRCS) | sha256sum | cut -c1-16)\\\"\" >> $@",
    )
