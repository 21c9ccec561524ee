#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/.

graph:   every graphs/*.toml that is a model (not a sweep), and two with "#set" override
         lines (the graph fuzzer applies "#set key=value" lines as --set).
idx:     tiny valid MNIST directories (2 train, 2 test images): plain, gzip, each sequence
         mode, per-channel normalisation, limits.
cifar10: tiny valid CIFAR-10 directories (one record per batch file, two test records).
Dataset inputs use the format of tests/fuzz/dataset_input.h. Run from anywhere; the
output is deterministic (gzip mtime 0).
"""
import gzip
import os
import shutil
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def encode(files, sequence="rows", per_channel=False, train_limit=0, test_limit=0, gz_mask=0):
    seq = {"rows": 0, "pixels": 1, "permuted_pixels": 2}[sequence]
    out = bytes([seq | (4 if per_channel else 0) | (gz_mask << 4), train_limit, test_limit, 7])
    for f in files:
        out += struct.pack("<I", len(f)) + f
    return out


def pixels(n, salt):
    return bytes(((i * 37 + salt * 101) ^ (i >> 3)) & 0xFF for i in range(n))


def idx_images(count, salt, rows=28, cols=28):
    return struct.pack(">IIII", 2051, count, rows, cols) + pixels(count * rows * cols, salt)


def idx_labels(labels):
    return struct.pack(">II", 2049, len(labels)) + bytes(labels)


def gz(b):
    return gzip.compress(b, mtime=0)


def cifar_records(labels, salt):
    return b"".join(bytes([l]) + pixels(3072, salt + k) for k, l in enumerate(labels))


def write(target, name, data):
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def main():
    for target in ("graph", "idx", "cifar10"):
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
        os.makedirs(os.path.join(CORPUS, target))

    graphs = sorted(f for f in os.listdir(os.path.join(ROOT, "graphs"))
                    if f.endswith(".toml") and not f.startswith(("sweep", "spectrum")))
    for g in graphs:
        shutil.copy(os.path.join(ROOT, "graphs", g), os.path.join(CORPUS, "graph", g))
    with open(os.path.join(ROOT, "graphs", "gru_mnist.toml"), "rb") as f:
        gru = f.read()
    write("graph", "set_overrides.toml",
          b"#set train.epochs=2\n#set nodes.rnn.gate.plugin=fixed\n#set nodes.data.path=/tmp/x\n" + gru)
    write("graph", "set_constraints.toml",
          b"#set nodes.rnn.constraints=[{plugin=\"dale\",parameter=\"W\"}]\n"
          b"#set nodes.rnn.scaling={plugin=\"ei\"}\n" + gru)

    train = [idx_images(2, 1), idx_labels([3, 9])]
    test = [idx_images(2, 2), idx_labels([0, 7])]
    plain = train + test
    write("idx", "plain_rows", encode(plain))
    write("idx", "plain_pixels_per_channel", encode(plain, "pixels", per_channel=True))
    write("idx", "plain_permuted_limits", encode(plain, "permuted_pixels", train_limit=1, test_limit=1))
    write("idx", "gzip_rows", encode([gz(f) for f in plain], gz_mask=0xF))
    write("idx", "gzip_mixed", encode([gz(plain[0]), plain[1], plain[2], gz(plain[3])], gz_mask=0x9))
    write("idx", "empty_splits", encode([idx_images(0, 0), idx_labels([]), idx_images(1, 3), idx_labels([5])]))

    batches = [cifar_records([k], 10 * k) for k in range(5)] + [cifar_records([8, 1], 99)]
    write("cifar10", "rows", encode(batches))
    write("cifar10", "pixels_per_channel", encode(batches, "pixels", per_channel=True))
    write("cifar10", "permuted_limits", encode(batches, "permuted_pixels", train_limit=3, test_limit=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
