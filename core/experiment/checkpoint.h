// Checkpoints: parameters, optimizer state, RNG state and the trainer's position, written
// atomically (to a temporary file, then renamed) so a crash never leaves a broken one.
#pragma once

#include <string>
#include <vector>

#include "core/experiment/trainer.h"

namespace biornn {

// Writes `path` (via path + ".tmp" and rename). Errors name the file.
void save_checkpoint(const std::string& path, Experiment& e, const TrainState& state);
// Restores parameters, optimizer state and `state` from `path` into an experiment built
// from the same graph. Errors name the file and what does not match.
void load_checkpoint(const std::string& path, Experiment& e, TrainState& state);

// Writes the model's parameters as a NumPy .npz (a zip of .npy files): for each parameter
// "<node>.<name>" (effective value) and "<node>.<name>.raw" (what the optimizer updates),
// plus "<node>.A" (the effective scaling) where the layer has one.
void save_npz(const std::string& path, Experiment& e);

// Sets every parameter of `e`'s model from the .npz at `path`, named as save_npz names them
// ("<layer>.<parameter>", its ".raw" entry when present, else its value; "<readout>.<parameter>"),
// then re-applies the constraints: a network trained elsewhere (PyTorch) or built by hand.
// A parameter that is missing or has another shape: an Error naming the file, the parameter and
// both shapes; nothing is changed then. Returns the file's entries that were not used.
std::vector<std::string> load_parameters_npz(const std::string& path, Experiment& e);

}  // namespace biornn
