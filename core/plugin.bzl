"""biornn_plugin: one plugin folder -> one <name>_plugin.so loaded by name at run time."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def biornn_plugin(name, srcs, deps = [], test_srcs = [], test_data = [], test_deps = [], test_size = "small", gradcheck = True):
    """Builds <name>_plugin.so against core's shared library, plus its tests.

    <name>_gradcheck_test: the shared finite-difference check of every layer combination
    that involves this plugin (cells, gates, scalings, constraints; datasets set
    gradcheck = False). <name>_test: the plugin's own tests from test_srcs, if any.
    Tests find the .so files in their runfiles tree (//plugins:all is loaded for pairing);
    test_deps are linked into <name>_test only (e.g. testonly helpers).
    """
    so = name + "_plugin.so"
    cc_binary(
        name = so,
        srcs = srcs,
        linkshared = True,
        copts = ["-fvisibility=hidden", "-fopenmp"],
        linkopts = ["-fopenmp"],
        deps = ["//core"] + deps,
        visibility = ["//visibility:public"],
    )
    if gradcheck:
        cc_test(
            name = name + "_gradcheck_test",
            size = "small",
            args = [native.package_name() + "/" + so],
            data = [":" + so, "//plugins:all"],
            deps = ["//core:plugin_gradcheck_main"],
        )
    if test_srcs:
        cc_test(
            name = name + "_test",
            srcs = test_srcs,
            size = test_size,
            data = [":" + so] + test_data,
            deps = ["//core", "//core:testing", "//third_party:gtest_main"] + deps + test_deps,
        )
