"""One layer of core: a folder of .h/.cc files built as its own shared library.

core/<layer>/BUILD calls biornn_layer(); it declares
  //core/<layer>:headers          the folder's headers (what code compiling against it sees)
  //core/<layer>:lib<...>.so      the folder's sources linked into one shared library
  //core/<layer>                  both, plus the layers below: what a binary or a plugin links
Each layer is a shared library so that a runner and every plugin it loads see one copy of the
SDK's statics (the registry) and type info (../shared/TOOLCHAIN.md: a statically linked core
gives the plugin its own registry under `bazel run`). The layers and which may include which:
tests/layering_test.py (LAYERS) checks every #include against that order.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_import", "cc_library")

def biornn_layer(name, layers = [], deps = [], hdrs = [], copts = [], linkopts = []):
    """`layers`: the core layers below this one (labels such as "//core/sdk"); `deps`: third_party."""
    headers = native.glob(["*.h"]) + hdrs
    srcs = native.glob(["*.cc"], exclude = ["*_test.cc"])
    cc_library(
        name = "headers",
        hdrs = headers,
        deps = [l + ":headers" for l in layers] + deps,
        visibility = ["//visibility:public"],
    )
    so = "libbiornn_" + name + ".so"
    cc_binary(
        name = so,
        srcs = srcs + headers,
        copts = copts,
        linkopts = linkopts + ["-Wl,--no-undefined"],
        linkshared = True,
        deps = layers + deps,
    )
    cc_import(
        name = "shared",
        shared_library = ":" + so,
    )
    cc_library(
        name = name,
        deps = [":shared", ":headers"] + layers,
        visibility = ["//visibility:public"],
    )
    native.filegroup(
        name = "sources",
        srcs = native.glob(["*.h", "*.cc"]),
        visibility = ["//visibility:public"],
    )
