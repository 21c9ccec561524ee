"""biornn_plugin: one plugin folder -> one <name>_plugin.so loaded by name at run time."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")

def biornn_plugin(name, srcs, deps = [], test_srcs = [], test_data = [], test_size = "small"):
    """Builds <name>_plugin.so against core's shared library, and its test if given.

    The test gets the plugin .so as data and finds it through the runfiles tree.
    """
    cc_binary(
        name = name + "_plugin.so",
        srcs = srcs,
        linkshared = True,
        copts = ["-fvisibility=hidden", "-fopenmp"],
        linkopts = ["-fopenmp"],
        deps = ["//core"] + deps,
        visibility = ["//visibility:public"],
    )
    if test_srcs:
        cc_test(
            name = name + "_test",
            srcs = test_srcs,
            size = test_size,
            data = [":" + name + "_plugin.so"] + test_data,
            deps = ["//core", "//core:testing", "//third_party:gtest_main"],
        )
