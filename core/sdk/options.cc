#include "core/sdk/options.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace biornn {

const char* option_type_name(OptionType t) {
  switch (t) {
    case OptionType::kInt: return "integer";
    case OptionType::kFloat: return "float";
    case OptionType::kBool: return "boolean";
    case OptionType::kString: return "string";
    case OptionType::kNumbers: return "list of numbers";
    case OptionType::kStrings: return "list of strings";
  }
  return "?";
}

std::string option_value_str(const OptionValue& v) {
  std::ostringstream s;
  if (auto* i = std::get_if<int64_t>(&v))
    s << *i;
  else if (auto* d = std::get_if<double>(&v))
    s << *d;
  else if (auto* b = std::get_if<bool>(&v))
    s << (*b ? "true" : "false");
  else if (auto* text = std::get_if<std::string>(&v))
    s << '"' << *text << '"';
  else if (auto* numbers = std::get_if<std::vector<double>>(&v)) {
    s << '[';
    for (size_t k = 0; k < numbers->size(); ++k) s << (k ? ", " : "") << (*numbers)[k];
    s << ']';
  } else {
    const auto& texts = std::get<std::vector<std::string>>(v);
    s << '[';
    for (size_t k = 0; k < texts.size(); ++k) s << (k ? ", \"" : "\"") << texts[k] << '"';
    s << ']';
  }
  return s.str();
}

namespace {

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// The items of a comma-separated string, trimmed ("" gives none).
std::vector<std::string> comma_items(const std::string& text) {
  std::vector<std::string> items;
  if (trimmed(text).empty()) return items;
  size_t begin = 0;
  for (;;) {
    const size_t comma = text.find(',', begin);
    items.push_back(trimmed(text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin)));
    if (comma == std::string::npos) return items;
    begin = comma + 1;
  }
}

}  // namespace

static std::string range_str(const OptionSpec& s) {
  if (s.type == OptionType::kString || s.type == OptionType::kStrings) {
    if (s.choices.empty()) return "";
    std::string r = "one of ";
    for (size_t i = 0; i < s.choices.size(); ++i) r += (i ? ", " : "") + s.choices[i];
    return r;
  }
  if (s.type == OptionType::kBool) return "";
  bool lo = s.min > -1e299, hi = s.max < 1e299;
  if (s.type == OptionType::kInt) {
    lo = s.min > double(INT64_MIN / 4);
    hi = s.max < double(INT64_MAX / 4);
  }
  if (!lo && !hi) return "";
  std::ostringstream r;
  r << "in " << (s.min_exclusive ? "(" : "[");
  if (lo)
    r << s.min;
  else
    r << "-inf";
  r << ", ";
  if (hi)
    r << s.max << "]";
  else
    r << "inf)";
  return r.str();
}

std::string OptionSpec::describe() const {
  std::string r = name + " (" + option_type_name(type) + ", default " + option_value_str(default_value);
  std::string range = range_str(*this);
  if (!range.empty()) r += ", " + range;
  return r + "): " + doc;
}

OptionSchema& OptionSchema::add_int(const std::string& name, int64_t def, const std::string& doc, int64_t min,
                                    int64_t max) {
  OptionSpec s;
  s.name = name;
  s.type = OptionType::kInt;
  s.default_value = def;
  s.doc = doc;
  s.min = double(min);
  s.max = double(max);
  specs_.push_back(s);
  return *this;
}

OptionSchema& OptionSchema::add_float(const std::string& name, double def, const std::string& doc, double min,
                                      double max, bool min_exclusive) {
  OptionSpec s;
  s.name = name;
  s.type = OptionType::kFloat;
  s.default_value = def;
  s.doc = doc;
  s.min = min;
  s.max = max;
  s.min_exclusive = min_exclusive;
  specs_.push_back(s);
  return *this;
}

OptionSchema& OptionSchema::add_bool(const std::string& name, bool def, const std::string& doc) {
  OptionSpec s;
  s.name = name;
  s.type = OptionType::kBool;
  s.default_value = def;
  s.doc = doc;
  specs_.push_back(s);
  return *this;
}

OptionSchema& OptionSchema::add_string(const std::string& name, const std::string& def, const std::string& doc,
                                       std::vector<std::string> choices) {
  OptionSpec s;
  s.name = name;
  s.type = OptionType::kString;
  s.default_value = def;
  s.doc = doc;
  s.choices = std::move(choices);
  specs_.push_back(s);
  return *this;
}

OptionSchema& OptionSchema::add_numbers(const std::string& name, std::vector<double> def, const std::string& doc,
                                        double min, double max) {
  OptionSpec s;
  s.name = name;
  s.type = OptionType::kNumbers;
  s.default_value = std::move(def);
  s.doc = doc;
  s.min = min;
  s.max = max;
  specs_.push_back(s);
  return *this;
}

OptionSchema& OptionSchema::add_strings(const std::string& name, std::vector<std::string> def, const std::string& doc,
                                        std::vector<std::string> choices) {
  OptionSpec s;
  s.name = name;
  s.type = OptionType::kStrings;
  s.default_value = std::move(def);
  s.doc = doc;
  s.choices = std::move(choices);
  specs_.push_back(s);
  return *this;
}

const OptionSpec* OptionSchema::find(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

std::string OptionSchema::names() const {
  std::string r;
  for (size_t i = 0; i < specs_.size(); ++i) r += (i ? ", " : "") + specs_[i].name;
  return r.empty() ? "(none)" : r;
}

Options::Options(const OptionSchema& schema, SourcePosition where) : where_(std::move(where)) {
  for (const auto& s : schema.specs()) values_[s.name] = s.default_value;
}

namespace {

// A list option written the old way, as one comma-separated string: its items.
OptionValue list_from_string(const OptionSpec& spec, const std::string& text, const SourcePosition& where,
                             const std::string& owner) {
  const std::vector<std::string> items = comma_items(text);
  if (spec.type == OptionType::kStrings) return items;
  std::vector<double> numbers;
  for (size_t k = 0; k < items.size(); ++k) {
    char* end = nullptr;
    const double v = std::strtod(items[k].c_str(), &end);
    if (items[k].empty() || *end != '\0')
      throw Error(where, "option '" + spec.name + "' of " + owner + ": element " + std::to_string(k + 1) + " ('" +
                             items[k] + "') is not a number (write an array, e.g. [0.05, 0.15, 0.5])");
    numbers.push_back(v);
  }
  return numbers;
}

void check_number(const OptionSpec& spec, double x, const std::string& what, const SourcePosition& where,
                  const std::string& owner) {
  const bool below = spec.min_exclusive ? !(x > spec.min) : !(x >= spec.min);
  if (std::isnan(x) || below || x > spec.max)
    throw Error(where, "option '" + spec.name + "' of " + owner + (what.empty() ? "" : ": " + what) + " is " +
                           option_value_str(x) + ", allowed " + range_str(spec));
}

void check_choice(const OptionSpec& spec, const std::string& s, const std::string& what, const SourcePosition& where,
                  const std::string& owner) {
  if (spec.choices.empty()) return;
  for (const auto& c : spec.choices)
    if (c == s) return;
  throw Error(where, "option '" + spec.name + "' of " + owner + (what.empty() ? "" : ": " + what) + " is \"" + s +
                         "\", allowed " + range_str(spec));
}

std::string element(size_t k) { return "element " + std::to_string(k + 1); }

}  // namespace

void Options::set(const OptionSchema& schema, const std::string& name, const OptionValue& v,
                  const SourcePosition& where, const std::string& owner) {
  const OptionSpec* spec = schema.find(name);
  if (!spec)
    throw Error(where, "unknown option '" + name + "' for " + owner + " (known options: " + schema.names() + ")");
  OptionValue value = v;
  auto bad_type = [&]() {
    const std::string type = option_type_name(spec->type);
    return Error(where, "option '" + name + "' of " + owner + " must be " + (type[0] == 'i' ? "an " : "a ") + type +
                            ", got " + option_value_str(v));
  };
  switch (spec->type) {
    case OptionType::kInt:
      if (!std::holds_alternative<int64_t>(v)) throw bad_type();
      break;
    case OptionType::kFloat:
      if (auto* i = std::get_if<int64_t>(&v))
        value = double(*i);  // 1 is a fine float
      else if (!std::holds_alternative<double>(v))
        throw bad_type();
      break;
    case OptionType::kBool:
      if (!std::holds_alternative<bool>(v)) throw bad_type();
      break;
    case OptionType::kString:
      if (!std::holds_alternative<std::string>(v)) throw bad_type();
      break;
    case OptionType::kNumbers:
    case OptionType::kStrings:
      if (auto* text = std::get_if<std::string>(&v))
        value = list_from_string(*spec, *text, where, owner);  // the comma-separated form
      else if (spec->type == OptionType::kNumbers && std::holds_alternative<std::vector<std::string>>(v) &&
               std::get<std::vector<std::string>>(v).empty())
        value = std::vector<double>{};  // [] has no element type
      else if (spec->type == OptionType::kNumbers ? !std::holds_alternative<std::vector<double>>(v)
                                                  : !std::holds_alternative<std::vector<std::string>>(v))
        throw bad_type();
      break;
  }
  if (spec->type == OptionType::kInt || spec->type == OptionType::kFloat)
    check_number(*spec, spec->type == OptionType::kInt ? double(std::get<int64_t>(value)) : std::get<double>(value), "",
                 where, owner);
  if (spec->type == OptionType::kString) check_choice(*spec, std::get<std::string>(value), "", where, owner);
  if (auto* numbers = std::get_if<std::vector<double>>(&value))
    for (size_t k = 0; k < numbers->size(); ++k) check_number(*spec, (*numbers)[k], element(k), where, owner);
  if (auto* texts = std::get_if<std::vector<std::string>>(&value))
    for (size_t k = 0; k < texts->size(); ++k) check_choice(*spec, (*texts)[k], element(k), where, owner);
  values_[name] = value;
  positions_[name] = where;
}

static const OptionValue& lookup(const std::map<std::string, OptionValue>& m, const std::string& n) {
  auto it = m.find(n);
  if (it == m.end()) throw Error("internal: option '" + n + "' was not declared in the schema");
  return it->second;
}

int64_t Options::get_int(const std::string& name) const { return std::get<int64_t>(lookup(values_, name)); }
double Options::get_float(const std::string& name) const { return std::get<double>(lookup(values_, name)); }
bool Options::get_bool(const std::string& name) const { return std::get<bool>(lookup(values_, name)); }
const std::string& Options::get_string(const std::string& name) const {
  return std::get<std::string>(lookup(values_, name));
}
const std::vector<double>& Options::get_numbers(const std::string& name) const {
  return std::get<std::vector<double>>(lookup(values_, name));
}
const std::vector<std::string>& Options::get_strings(const std::string& name) const {
  return std::get<std::vector<std::string>>(lookup(values_, name));
}

SourcePosition Options::where(const std::string& name) const {
  auto it = positions_.find(name);
  return it == positions_.end() ? where_ : it->second;
}

}  // namespace biornn
