// Dataset: sequences and what they are trained against, read from files in official formats
// (MNIST, CIFAR-10) or generated from a seed (cognitive tasks).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace biornn {

enum class Split { kTrain, kTest };

// The examples of a split a process will ever ask for, given the split's size n: sorted indices
// in [0, n). Data-parallel ranks that share the data (train.data_shards) pass one to
// Dataset::keep_only, so that each keeps only its own shard in memory.
using RowsToKeep = std::function<std::vector<int64_t>(Split split, int64_t n)>;

// What a dataset's examples are trained against; the readout and the loss follow it.
enum class TargetKind {
  kSequenceClass,  // one class label per sequence; softmax cross-entropy (MNIST, CIFAR-10)
  kStepClass,      // a class label at every step and a loss mask; masked cross-entropy
  kStepValue,      // continuous targets at every step and a loss mask; masked mean squared error
};

// One minibatch as a dataset writes it, time-major. The caller owns and sizes the buffers;
// the dataset writes those its target kind uses (the others may be null).
struct BatchData {
  float* x = nullptr;         // [T, n, F] inputs
  int32_t* labels = nullptr;  // kSequenceClass: [n]; kStepClass: [T, n]
  float* targets = nullptr;   // kStepValue: [T, n, O]
  float* mask = nullptr;      // kStepClass, kStepValue: [T, n], the weight of each step in the loss
};

// A task's own performance measure over some trials: `correct` of `counted` (trials or
// steps, as the task defines them). Accuracy = correct / counted.
struct Score {
  double correct = 0, counted = 0;
};

// What the values of a trial condition mean (issue 19):
//   kSignedEvidence  a signed quantity where > 0 favours choice 2 and < 0 choice 1 (coherence):
//                    psychometric curves of % choice 2 against it
//   kCategory        labels with no order (context, task, match / non-match): bars per value
//   kCircular        a direction on a ring (an index or an angle): bars per direction
//   kMagnitude       an ordered quantity with no sign convention (a frequency, an amplitude):
//                    scores per quantile bin
enum class ConditionKind { kSignedEvidence, kCategory, kCircular, kMagnitude };

// "signed evidence", "category", "circular", "magnitude".
const char* condition_kind_name(ConditionKind kind);

class Dataset {
 public:
  static constexpr const char* kKind = "dataset";
  virtual ~Dataset() = default;

  // Reads the files (or generates the trials). Errors name the file and what is wrong, and
  // for a missing dataset the places looked in and the command that fetches it.
  virtual void load() = 0;
  // Called before load(): only `rows` of each split will be asked for. A dataset that holds its
  // examples in memory may then keep only those (indices stay those of the whole split: size()
  // is unchanged, and fill() is only asked for kept examples); one that generates its trials
  // ignores it (the default).
  virtual void keep_only(RowsToKeep rows) { (void)rows; }
  virtual int64_t size(Split split) const = 0;
  virtual int steps() const = 0;     // T
  virtual int features() const = 0;  // F
  // Classes (kSequenceClass, kStepClass) or the width O of a continuous target (kStepValue):
  // the readout's output width.
  virtual int classes() const = 0;
  virtual TargetKind target_kind() const { return TargetKind::kSequenceClass; }

  // Writes examples `indices[0..n)` of `split` as x [T, n, F] (time-major) and labels [n].
  // kSequenceClass datasets implement this; per-step datasets implement fill() instead.
  virtual void batch(Split split, const int64_t* indices, int n, float* x, int32_t* labels) const = 0;
  // Writes examples `indices[0..n)` of `split` into `out` as target_kind() says. The same
  // index gives the same example every time (generated tasks derive each trial from the seed
  // and its index). Default: batch().
  virtual void fill(Split split, const int64_t* indices, int n, const BatchData& out) const {
    batch(split, indices, n, out.x, out.labels);
  }
  // Training minibatches only, after fill(): a dataset may change the inputs in place (image
  // flips and shifts). Each example draws from its own stream, mix64(stream ^ mix64(index)),
  // so what it gets does not depend on the batch or the rank it lands in; the trainer derives
  // `stream` from train.seed and the optimizer step, so a resumed run draws the same. Default:
  // nothing.
  virtual void augment(const int64_t* indices, int n, uint64_t stream, const BatchData& batch) const {
    (void)indices, (void)n, (void)stream, (void)batch;
  }
  // The task's performance measure for per-step datasets, from the readout's outputs
  // ([T, n, O]: logits for kStepClass, values for kStepValue) and the batch fill() wrote
  // (e.g. the decision in the response period). Default: every masked step whose argmax
  // (kStepClass) matches its label, or (kStepValue) whose squared error is below 0.01.
  virtual Score score(const float* outputs, int steps, int n, const BatchData& batch) const;

  // Per-trial conditions for analysis (e.g. coherence, context), one value per name.
  virtual std::vector<std::string> condition_names() const { return {}; }
  // What each condition's values are (one per name), so analysis draws each right. Default:
  // kMagnitude for every condition (no psychometric curve is drawn for an undeclared one).
  virtual std::vector<ConditionKind> condition_kinds() const {
    return std::vector<ConditionKind>(condition_names().size(), ConditionKind::kMagnitude);
  }
  // Names of the values 0, 1, 2 ... of category condition `c` (e.g. the tasks of a multi-task
  // dataset), for tables and plots; empty: the values are shown as numbers.
  virtual std::vector<std::string> condition_labels(size_t c) const {
    (void)c;
    return {};
  }
  // The named periods of a trial (fixation, stimulus, delay, response ...) for analysis per
  // period; empty when the dataset has none.
  virtual std::vector<std::string> period_names() const { return {}; }
  // Writes periods [T, n] (time-major, like BatchData): the index into period_names() of each
  // step of examples `indices[0..n)`. Called only when period_names() is not empty.
  virtual void periods(Split split, const int64_t* indices, int n, int32_t* out) const {
    (void)split;
    (void)indices;
    (void)n;
    (void)out;
  }
  // Writes conditions [n, condition_names().size()] of examples `indices[0..n)`.
  virtual void conditions(Split split, const int64_t* indices, int n, float* out) const {
    (void)split;
    (void)indices;
    (void)n;
    (void)out;
  }

  virtual std::string describe() const = 0;  // one line for the log
};

// The decision of trial i of a kStepClass batch of n trials (outputs [T, n, classes]): the class
// with the largest mean output over the steps that ask for a choice (label > 0 and mask > 0);
// -1 if the trial has no such step. Class 0 is "fixate", so a network that does not answer
// decides 0.
int decision(const float* outputs, int steps, int n, int classes, const BatchData& batch, int i);

// The label of those steps (the right choice), or -1.
int choice_label(int steps, int n, const BatchData& batch, int i);

}  // namespace biornn
