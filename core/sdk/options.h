// Plugin options: a schema each plugin declares, and validated values from a graph file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/sdk/error.h"

namespace biornn {

// kNumbers and kStrings are lists: a TOML array (`coherences = [0, 0.032, 0.064]`), or, as
// before arrays were supported, one string of comma-separated items (`"0, 0.032, 0.064"`).
enum class OptionType { kInt, kFloat, kBool, kString, kNumbers, kStrings };
const char* option_type_name(OptionType t);

using OptionValue = std::variant<int64_t, double, bool, std::string, std::vector<double>, std::vector<std::string>>;
std::string option_value_str(const OptionValue& v);  // TOML syntax: 1, 0.5, true, "a", [1, 2], ["a", "b"]

// One option a plugin accepts: its type, default, allowed range or choices, and doc line.
struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kFloat;
  OptionValue default_value;
  std::string doc;
  double min = -1e300, max = 1e300;  // inclusive range for numbers (each element of a kNumbers list)
  bool min_exclusive = false;        // e.g. dt > 0
  std::vector<std::string> choices;  // allowed strings, or elements of a kStrings list (empty: any)

  std::string describe() const;  // "name (float, default 1, in (0, inf)): doc"
};

// Builder used by plugins to declare their options in one readable list.
class OptionSchema {
 public:
  OptionSchema& add_int(const std::string& name, int64_t def, const std::string& doc, int64_t min = INT64_MIN / 2,
                        int64_t max = INT64_MAX / 2);
  OptionSchema& add_float(const std::string& name, double def, const std::string& doc, double min = -1e300,
                          double max = 1e300, bool min_exclusive = false);
  OptionSchema& add_bool(const std::string& name, bool def, const std::string& doc);
  OptionSchema& add_string(const std::string& name, const std::string& def, const std::string& doc,
                           std::vector<std::string> choices = {});
  // Lists: every element in [min, max] / one of `choices`.
  OptionSchema& add_numbers(const std::string& name, std::vector<double> def, const std::string& doc,
                            double min = -1e300, double max = 1e300);
  OptionSchema& add_strings(const std::string& name, std::vector<std::string> def, const std::string& doc,
                            std::vector<std::string> choices = {});
  const std::vector<OptionSpec>& specs() const { return specs_; }
  const OptionSpec* find(const std::string& name) const;
  std::string names() const;  // "a, b, c"

 private:
  std::vector<OptionSpec> specs_;
};

// Validated option values for one plugin instance, every default filled in.
class Options {
 public:
  Options() = default;
  // Starts from the schema's defaults.
  explicit Options(const OptionSchema& schema, SourcePosition where = {});

  // Sets a value after checking type and range; `where` is used in the error.
  void set(const OptionSchema& schema, const std::string& name, const OptionValue& v, const SourcePosition& where,
           const std::string& owner);

  int64_t get_int(const std::string& name) const;
  double get_float(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  const std::vector<double>& get_numbers(const std::string& name) const;
  const std::vector<std::string>& get_strings(const std::string& name) const;
  bool has(const std::string& name) const { return values_.count(name) > 0; }

  const std::map<std::string, OptionValue>& values() const { return values_; }
  // Where this plugin instance was declared (for errors raised by the plugin itself).
  const SourcePosition& where() const { return where_; }
  SourcePosition where(const std::string& name) const;

 private:
  std::map<std::string, OptionValue> values_;
  std::map<std::string, SourcePosition> positions_;
  SourcePosition where_;
};

}  // namespace biornn
