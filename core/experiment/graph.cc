#include "core/experiment/graph.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace biornn {

namespace {

SourcePosition pos(const toml::source_region& r, const std::string& fallback) {
  SourcePosition p;
  if (!r.path) return SourcePosition{fallback.empty() ? "--set" : "--set (" + fallback + ")", 0, 0};
  if (r.path->rfind("--set ", 0) == 0) return SourcePosition{*r.path, 0, 0};  // "--set key=value"
  p.path = *r.path;
  p.line = int(r.begin.line);
  p.column = int(r.begin.column);
  return p;
}

SourcePosition pos(const toml::node& n, const std::string& fallback) { return pos(n.source(), fallback); }

const char* type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    default: return "date/time";
  }
}

std::string a_or_an(const std::string& noun) {
  return (std::string("aeiou").find(noun[0]) != std::string::npos ? "an " : "a ") + noun;
}

// A TOML array as the list option `spec`: every element a number (kNumbers) or a string
// (kStrings); an element of another type is an error at that element.
OptionValue list_value(const toml::array& a, const OptionSpec& spec, const std::string& owner,
                       const std::string& file) {
  const bool numbers = spec.type == OptionType::kNumbers;
  std::vector<double> values;
  std::vector<std::string> texts;
  for (size_t k = 0; k < a.size(); ++k) {
    const toml::node& e = *a.get(k);
    if (numbers && e.as_integer())
      values.push_back(double(e.as_integer()->get()));
    else if (numbers && e.as_floating_point())
      values.push_back(e.as_floating_point()->get());
    else if (!numbers && e.as_string())
      texts.push_back(e.as_string()->get());
    else
      throw Error(pos(e, file), "option '" + spec.name + "' of " + owner + ": element " + std::to_string(k + 1) +
                                    " is " + a_or_an(type_name(e)) + ", expected a " + (numbers ? "number" : "string"));
  }
  if (numbers) return values;
  return texts;
}

// Converts a TOML value to the option value of `spec` (an array only for a list option), or
// throws at its position.
OptionValue option_value(const toml::node& n, const OptionSpec& spec, const std::string& owner,
                         const std::string& file) {
  if (auto v = n.as_integer()) return int64_t(v->get());
  if (auto v = n.as_floating_point()) return double(v->get());
  if (auto v = n.as_boolean()) return bool(v->get());
  if (auto v = n.as_string()) return std::string(v->get());
  const bool list = spec.type == OptionType::kNumbers || spec.type == OptionType::kStrings;
  if (auto a = n.as_array(); a && list) return list_value(*a, spec, owner, file);
  throw Error(pos(n, file), "option '" + spec.name + "' of " + owner + " must be " +
                                a_or_an(option_type_name(spec.type)) + ", got " + a_or_an(type_name(n)));
}

// Fills `opts` from the keys of `table` that are not in `skip`, against `schema`.
void read_options(const toml::table& table, const OptionSchema& schema, Options& opts,
                  const std::set<std::string>& skip, const std::string& owner, const std::string& file) {
  for (auto&& [k, v] : table) {
    const std::string key(k.str());
    if (skip.count(key)) continue;
    SourcePosition where = pos(k.source(), file);
    const OptionSpec* spec = schema.find(key);
    if (!spec) {
      std::string known = schema.names();
      for (const auto& s : skip) known += ", " + s;
      throw Error(where, "unknown key '" + key + "' in " + owner + " (known keys: " + known + ")");
    }
    opts.set(schema, key, option_value(v, *spec, owner, file), pos(v, file), owner);
  }
}

const toml::table& as_table(const toml::node& n, const std::string& what, const std::string& file) {
  if (auto t = n.as_table()) return *t;
  throw Error(pos(n, file), what + " must be a table, got a " + type_name(n));
}

std::string get_string(const toml::table& t, const std::string& key, const std::string& owner, const std::string& file,
                       bool required) {
  const toml::node* n = t.get(key);
  if (!n) {
    if (required) throw Error(pos(t, file), owner + " has no '" + key + "' key");
    return "";
  }
  if (auto s = n->as_string()) return s->get();
  throw Error(pos(*n, file), "'" + key + "' of " + owner + " must be a string, got a " + type_name(*n));
}

// The layer's noise_* keys, checked against layer_noise_schema() at their positions.
RecurrentNoise read_noise(const toml::table& t, const std::string& owner, const std::string& file) {
  const OptionSchema& schema = layer_noise_schema();
  Options o(schema, pos(t, file));
  for (const auto& spec : schema.specs())
    if (const toml::node* v = t.get(spec.name))
      o.set(schema, spec.name, option_value(*v, spec, owner, file), pos(*v, file), owner);
  RecurrentNoise n;
  n.std = o.get_float("noise_std");
  n.alpha = o.get_float("noise_alpha");
  n.seed = uint64_t(o.get_int("noise_seed"));
  n.in_evaluation = o.get_bool("noise_in_evaluation");
  return n;
}

// `gate = "none"` or `gate = { plugin = "none" }` (what a sweep varying gate.plugin writes):
// the layer has no gate (z = 1). Any other string is an error at its position.
bool is_no_gate(const toml::node& gate, const std::string& owner, const std::string& file) {
  if (auto s = gate.as_string()) {
    if (s->get() == "none") return true;
    throw Error(pos(gate, file), owner + " gate is the string '" + s->get() + "': write gate = { plugin = \"" +
                                     s->get() + "\" } for a gate, or gate = \"none\" for none");
  }
  const toml::table* t = gate.as_table();
  if (!t) return false;
  const toml::node* p = t->get("plugin");
  if (!p || !p->as_string() || p->as_string()->get() != "none") return false;
  for (auto&& [k, v] : *t)
    if (k.str() != "plugin")
      throw Error(pos(v, file), owner + " gate is \"none\" but has option '" + std::string(k.str()) +
                                    "': remove it, or name a gate plugin");
  return true;
}

PluginRef plugin_ref(const toml::table& t, const std::string& kind, const std::string& owner, const Registry& registry,
                     const std::string& file, const std::set<std::string>& skip = {}) {
  PluginRef r;
  r.kind = kind;
  r.name = get_string(t, "plugin", owner, file, true);
  r.where = pos(*t.get("plugin"), file);
  const PluginInfo& info = registry.get(kind, r.name, r.where);
  r.options = Options(info.schema, r.where);
  std::set<std::string> all_skip = skip;
  all_skip.insert("plugin");
  read_options(t, info.schema, r.options, all_skip, owner + " (" + kind + " '" + r.name + "')", file);
  return r;
}

// `value` escaped into a TOML basic string (for a bare value that is not TOML, e.g. a path).
std::string quoted_string(const std::string& value) {
  std::string quoted = "\"";
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += char(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      quoted += buf;
    } else {
      quoted += char(c);
    }
  }
  return quoted + "\"";
}

// Parses one override's value into the key "v" of the table returned, with the value's source
// where it was written: "--set KEY=VALUE" (no line) for the command line, or the sweep file's
// line and column. TOML++ gives a parsed node no other way to carry a position, so that value
// is parsed as the one element of an array that starts, after padding, at exactly that line
// and column, and moved out (a move keeps the source; a copy would drop it).
toml::table parse_value(const std::string& text, const std::string& kv, const SourcePosition& at) {
  if (at.path.empty()) return toml::parse("v = " + text, "--set " + kv);
  const int line = std::max(at.line, 1), column = std::max(at.column, 1);
  std::string padded = "v = [";  // 5 columns
  if (line > 1)
    padded += std::string(size_t(line - 1), '\n') + std::string(size_t(column - 1), ' ');
  else
    padded += std::string(size_t(std::max(column - 6, 0)), ' ');
  toml::table array = toml::parse(padded + text + "\n]", at.path);
  toml::table r;
  r.insert_or_assign("v", std::move(*array.get("v")->as_array()->get(0)));
  return r;
}

// "data, out, rnn": the names of the graph's [nodes.*] tables.
std::string node_names(const toml::table& root) {
  std::string names;
  if (const toml::table* nodes = root["nodes"].as_table())
    for (const auto& [name, node] : *nodes) names += (names.empty() ? "" : ", ") + std::string(name.str());
  return names;
}

void apply_override(toml::table& root, const PlacedOverride& o) {
  const std::string& kv = o.key_value;
  // Errors about the override itself: at the sweep file's position, or naming "--set KEY=VALUE".
  const auto fail = [&](const std::string& what) {
    if (o.value_at.path.empty()) throw Error("--set " + kv + ": " + what);
    throw Error(o.key_at.path.empty() ? o.value_at : o.key_at, kv + ": " + what);
  };
  const auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) fail("expected key=value, e.g. --set train.epochs=1");
  const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) fail("empty part in key '" + key + "'");
    parts.push_back(p);
  }
  const bool adds_node = parts.size() == 2 || (parts.size() == 3 && parts[2] == "plugin");
  if (parts.size() >= 2 && parts[0] == "nodes" && !adds_node && root["nodes"][parts[1]].node() == nullptr)
    fail("no node '" + parts[1] + "' in the graph (its nodes: " + node_names(root) + "); to add one, set nodes." +
         parts[1] + ".plugin first");
  toml::table* t = &root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* n = t->get(parts[i]);
    if (!n) {
      t->insert_or_assign(parts[i], toml::table{});
      n = t->get(parts[i]);
    }
    t = n->as_table();
    if (!t) fail("'" + parts[i] + "' is not a table");
  }
  toml::table parsed;
  try {
    parsed = parse_value(value, kv, o.value_at);
  } catch (const toml::parse_error&) {
    try {  // not TOML (e.g. a bare path): take it as a string, with control characters escaped
      parsed = parse_value(quoted_string(value), kv, o.value_at);
    } catch (const toml::parse_error& e) {
      fail("the value is neither TOML nor a valid string (" + std::string(e.description()) + ")");
    }
  }
  toml::source_region key_region;
  if (!o.key_at.path.empty()) {
    key_region.path = std::make_shared<const std::string>(o.key_at.path);
    key_region.begin = {toml::source_index(o.key_at.line), toml::source_index(o.key_at.column)};
    key_region.end = key_region.begin;
  }
  t->insert_or_assign(toml::key(parts.back(), std::move(key_region)), std::move(*parsed.get("v")));
}

void to_toml(toml::table& t, const Options& o) {
  for (auto& [k, v] : o.values()) {
    if (auto* i = std::get_if<int64_t>(&v))
      t.insert_or_assign(k, *i);
    else if (auto* d = std::get_if<double>(&v))
      t.insert_or_assign(k, *d);
    else if (auto* b = std::get_if<bool>(&v))
      t.insert_or_assign(k, *b);
    else if (auto* text = std::get_if<std::string>(&v))
      t.insert_or_assign(k, *text);
    else if (auto* numbers = std::get_if<std::vector<double>>(&v)) {
      toml::array a;
      for (double e : *numbers) a.push_back(e);
      t.insert_or_assign(k, std::move(a));
    } else {
      toml::array a;
      for (const std::string& e : std::get<std::vector<std::string>>(v)) a.push_back(e);
      t.insert_or_assign(k, std::move(a));
    }
  }
}

toml::table plugin_table(const PluginRef& r) {
  toml::table t;
  t.insert_or_assign("plugin", r.name);
  to_toml(t, r.options);
  return t;
}

// The graph's name, description, [train] and [optimizer] (adam when there is none); any other
// top-level key is an error.
void read_header(const toml::table& root, const std::string& file, const Registry& registry, Graph& g) {
  static const std::set<std::string> top_keys = {"name", "description", "train", "optimizer", "nodes"};
  for (auto&& [k, v] : root)
    if (!top_keys.count(std::string(k.str())))
      throw Error(pos(k.source(), file), "unknown top-level key '" + std::string(k.str()) +
                                             "' (known: name, description, train, optimizer, nodes)");
  if (root.get("name")) g.name = get_string(root, "name", "the graph", file, true);
  if (root.get("description")) g.description = get_string(root, "description", "the graph", file, true);

  g.train = Options(train_schema(), {file, 1, 1});
  if (const toml::node* t = root.get("train"))
    read_options(as_table(*t, "[train]", file), train_schema(), g.train, {}, "[train]", file);

  if (const toml::node* o = root.get("optimizer")) {
    g.optimizer = plugin_ref(as_table(*o, "[optimizer]", file), "optimizer", "[optimizer]", registry, file);
  } else {
    g.optimizer.kind = "optimizer";
    g.optimizer.name = "adam";
    g.optimizer.options = Options(registry.get("optimizer", "adam").schema, {file, 1, 1});
  }
}

// One [nodes.*] table as written: its plugin and input, with their positions.
struct RawNode {
  const toml::table* table;
  std::string plugin, input;
  SourcePosition where, input_where;
};

struct RawNodes {
  std::map<std::string, RawNode> by_name;
  std::vector<std::string> order;  // as in the file
};

RawNodes read_nodes(const toml::table& root, const std::string& file) {
  const toml::node* nodes_node = root.get("nodes");
  if (!nodes_node) throw Error(SourcePosition{file, 1, 1}, "the graph has no [nodes.*] tables");
  RawNodes raw;
  for (auto&& [k, v] : as_table(*nodes_node, "[nodes]", file)) {
    const std::string name(k.str());
    const toml::table& t = as_table(v, "node '" + name + "'", file);
    RawNode r{&t, get_string(t, "plugin", "node '" + name + "'", file, true), "", pos(k.source(), file), {}};
    if (const toml::node* in = t.get("input")) {
      r.input = get_string(t, "input", "node '" + name + "'", file, true);
      r.input_where = pos(*in, file);
    }
    raw.by_name[name] = r;
    raw.order.push_back(name);
  }
  return raw;
}

// The nodes from the dataset to the readout.
struct Chain {
  std::string dataset, readout;
  std::vector<std::string> layers;  // in order from the dataset's reader to the readout's input
};

// Which node is the dataset and which the readout; every other node's plugin is a cell, and
// every input names a node that is read by nothing else.
Chain classify_nodes(RawNodes& raw, const std::string& file, const Registry& registry) {
  Chain c;
  std::map<std::string, std::string> consumer;  // input -> node reading it
  for (const auto& name : raw.order) {
    RawNode& r = raw.by_name[name];
    const SourcePosition plugin_where = pos(*r.table->get("plugin"), file);
    const bool is_dataset = registry.find("dataset", r.plugin) != nullptr;
    const bool is_readout = r.plugin == "readout";
    if (!is_dataset && !is_readout && !registry.find("cell", r.plugin))
      throw Error(plugin_where, "unknown plugin '" + r.plugin + "' for node '" + name + "' (known cells: " +
                                    registry.known("cell") + "; datasets: " + registry.known("dataset") +
                                    "; and \"readout\"; one added since the last build? run bazel build "
                                    "//plugins/... to build it)");
    if (is_dataset) {
      if (!c.dataset.empty())
        throw Error(r.where, "two dataset nodes ('" + c.dataset + "' and '" + name + "'); a graph reads one dataset");
      if (!r.input.empty()) throw Error(r.input_where, "dataset node '" + name + "' takes no input");
      c.dataset = name;
      continue;
    }
    if (is_readout) {
      if (!c.readout.empty()) throw Error(r.where, "two readout nodes ('" + c.readout + "' and '" + name + "')");
      c.readout = name;
    }
    if (r.input.empty()) throw Error(r.where, "node '" + name + "' has no 'input' (name the node it reads)");
    if (!raw.by_name.count(r.input)) {
      std::string known;
      for (auto& n : raw.order) known += (known.empty() ? "" : ", ") + n;
      throw Error(r.input_where, "node '" + name + "' reads unknown node '" + r.input + "' (nodes: " + known + ")");
    }
    if (raw.by_name[r.input].plugin == "readout")
      throw Error(r.input_where, "node '" + name + "' reads the readout '" + r.input + "'; the readout must be last");
    if (consumer.count(r.input))
      throw Error(r.input_where, "node '" + r.input + "' feeds both '" + consumer[r.input] + "' and '" + name +
                                     "'; a graph is one chain from the dataset to the readout");
    consumer[r.input] = name;
  }
  if (c.dataset.empty())
    throw Error(SourcePosition{file, 1, 1}, "the graph has no dataset node (e.g. plugin = \"mnist\")");
  if (c.readout.empty())
    throw Error(SourcePosition{file, 1, 1}, "the graph has no readout node (plugin = \"readout\")");
  return c;
}

// Walks back from the readout to the dataset and fills c.layers; a cycle or a node off that
// path is an error.
void walk_chain(RawNodes& raw, Chain& c) {
  std::set<std::string> seen;
  for (std::string n = raw.by_name[c.readout].input; n != c.dataset;) {
    if (seen.count(n)) throw Error(raw.by_name[n].input_where, "input cycle through node '" + n + "'");
    seen.insert(n);
    c.layers.insert(c.layers.begin(), n);
    n = raw.by_name[n].input;
  }
  for (const auto& n : raw.order) {
    if (n == c.dataset || n == c.readout || seen.count(n)) continue;
    std::set<std::string> walk;  // follow inputs from n: a repeat is a cycle
    for (std::string m = n; m != c.dataset && !seen.count(m); m = raw.by_name[m].input)
      if (!walk.insert(m).second) throw Error(raw.by_name[n].where, "input cycle through node '" + n + "'");
    throw Error(raw.by_name[n].where, "node '" + n + "' is not on the path from the dataset to the readout");
  }
}

int read_hidden(const toml::table& t, const LayerSpec& l, const std::string& owner, const std::string& file) {
  const toml::node* h = t.get("hidden");
  if (!h) throw Error(l.where, owner + " has no 'hidden' (the number of units)");
  auto hv = h->as_integer();
  if (!hv) throw Error(pos(*h, file), "'hidden' of " + owner + " must be an integer, got a " + type_name(*h));
  if (hv->get() < 1 || hv->get() > 65536)
    throw Error(pos(*h, file), "'hidden' of " + owner + " is " + std::to_string(hv->get()) + ", allowed [1, 65536]");
  return int(hv->get());
}

// One recurrent layer node: hidden, the cell (the node's plugin), noise, gate, scaling and
// constraints.
LayerSpec read_layer(const std::string& node, const RawNode& r, const std::string& file, const Registry& registry) {
  const toml::table& t = *r.table;
  const std::string owner = "node '" + node + "'";
  LayerSpec l;
  l.node = node;
  l.where = r.where;
  l.hidden = read_hidden(t, l, owner, file);
  std::set<std::string> layer_keys = {"input", "hidden", "gate", "scaling", "constraints"};
  for (const auto& spec : layer_noise_schema().specs()) layer_keys.insert(spec.name);
  l.cell = plugin_ref(t, "cell", owner, registry, file, layer_keys);
  l.noise = read_noise(t, owner, file);
  if (const toml::node* gate = t.get("gate"))
    if (!is_no_gate(*gate, owner, file))
      l.gate = plugin_ref(as_table(*gate, owner + " gate", file), "gate", owner + " gate", registry, file);
  if (const toml::node* s = t.get("scaling"))
    l.scaling = plugin_ref(as_table(*s, owner + " scaling", file), "scaling", owner + " scaling", registry, file);
  if (const toml::node* c = t.get("constraints")) {
    const toml::array* arr = c->as_array();
    if (!arr) throw Error(pos(*c, file), "'constraints' of " + owner + " must be an array of tables");
    for (const toml::node& e : *arr) {
      const toml::table& ct = as_table(e, owner + " constraint", file);
      std::string param = get_string(ct, "parameter", owner + " constraint", file, true);
      l.constraints.emplace_back(param,
                                 plugin_ref(ct, "constraint", owner + " constraint", registry, file, {"parameter"}));
    }
  }
  return l;
}

// A layer's node as the resolved graph writes it, reading `input`.
toml::table layer_table(const LayerSpec& l, const std::string& input) {
  toml::table lt = plugin_table(l.cell);
  lt.insert_or_assign("input", input);
  lt.insert_or_assign("hidden", l.hidden);
  if (!l.gate.name.empty()) lt.insert_or_assign("gate", plugin_table(l.gate));
  if (l.scaling) lt.insert_or_assign("scaling", plugin_table(*l.scaling));
  if (l.noise.std > 0) {
    lt.insert_or_assign("noise_std", l.noise.std);
    lt.insert_or_assign("noise_alpha", l.noise.alpha);
    lt.insert_or_assign("noise_seed", int64_t(l.noise.seed));
    lt.insert_or_assign("noise_in_evaluation", l.noise.in_evaluation);
  }
  if (!l.constraints.empty()) {
    toml::array arr;
    for (const auto& [p, c] : l.constraints) {
      toml::table ct = plugin_table(c);
      ct.insert_or_assign("parameter", p);
      arr.push_back(ct);
    }
    lt.insert_or_assign("constraints", arr);
  }
  return lt;
}

// The resolved graph, every default filled in (itself a valid graph).
std::string resolved_toml(const Graph& g) {
  toml::table out;
  out.insert_or_assign("name", g.name);
  if (!g.description.empty()) out.insert_or_assign("description", g.description);
  toml::table train;
  to_toml(train, g.train);
  out.insert_or_assign("train", train);
  out.insert_or_assign("optimizer", plugin_table(g.optimizer));
  toml::table nodes_out;
  nodes_out.insert_or_assign(g.dataset_node, plugin_table(g.dataset));
  std::string prev = g.dataset_node;
  for (const auto& l : g.layers) {
    nodes_out.insert_or_assign(l.node, layer_table(l, prev));
    prev = l.node;
  }
  toml::table rt;
  rt.insert_or_assign("plugin", "readout");
  rt.insert_or_assign("input", prev);
  to_toml(rt, g.readout);
  nodes_out.insert_or_assign(g.readout_node, rt);
  out.insert_or_assign("nodes", nodes_out);
  std::ostringstream s;
  s << out << "\n";
  return s.str();
}

// The graph of `root` after the overrides: header, nodes, the chain, its layers, and the
// resolved TOML.
Graph build(toml::table& root, const std::string& file, const std::vector<PlacedOverride>& overrides,
            const Registry& registry) {
  for (const auto& o : overrides) apply_override(root, o);
  Graph g;
  g.path = file;
  g.name = std::filesystem::path(file).stem().string();
  read_header(root, file, registry, g);

  RawNodes raw = read_nodes(root, file);
  Chain chain = classify_nodes(raw, file, registry);
  walk_chain(raw, chain);

  g.dataset_node = chain.dataset;
  g.dataset = plugin_ref(*raw.by_name[chain.dataset].table, "dataset", "node '" + chain.dataset + "'", registry, file);
  g.readout_node = chain.readout;
  g.readout = Options(readout_schema(), raw.by_name[chain.readout].where);
  read_options(*raw.by_name[chain.readout].table, readout_schema(), g.readout, {"plugin", "input"},
               "node '" + chain.readout + "' (readout)", file);
  for (const std::string& node : chain.layers) g.layers.push_back(read_layer(node, raw.by_name[node], file, registry));
  if (g.layers.empty())
    throw Error(raw.by_name[chain.readout].where,
                "the graph has no recurrent layer between the dataset and the readout");
  g.resolved_toml = resolved_toml(g);
  return g;
}

}  // namespace

const OptionSchema& train_schema() {
  static const OptionSchema s =
      OptionSchema()
          .add_int("epochs", 10, "passes over the training split", 1, 100000)
          .add_int("batch_size", 128, "examples per minibatch", 1, 1 << 20)
          .add_int("seed", 1, "seeds initialisation, the validation split and shuffling", 0)
          .add_int("validation_size", 5000, "training examples held out for validation", 0)
          .add_int("data_shards", 0,
                   "deal the training split into this many shards, one per MPI rank, each keeping only its own "
                   "(0: one per rank, 1 in one process; 1: every rank keeps all the data; one process with S "
                   "trains in the order of S ranks); batch_size must divide by it",
                   0, 1 << 16)
          .add_float("clip_grad_norm", 1.0, "clip the global gradient norm to this (0 = off)", 0)
          .add_int("threads", 0, "compute threads (0 = all cores; 1 when other jobs share the machine)", 0, 1024)
          .add_bool("flush_denormals", true,
                    "flush denormal floats to zero (much faster on long sequences; results change in the last bits)")
          .add_string("precision", "fp32",
                      "matrix products in fp32, or bf16 operands with fp32 sums where the CPU has bf16 "
                      "instructions (avx512_bf16 or amx_bf16; elsewhere fp32, with a log line); weights, "
                      "optimizer and elementwise math stay fp32",
                      {"fp32", "bf16"})
          .add_int("log_every", 50, "minibatches between progress lines", 1)
          .add_int("max_batches", 0, "stop each epoch after this many minibatches (0 = all)", 0)
          .add_int("eval_batch_size", 0,
                   "examples per evaluation minibatch (0 = batch_size: evaluation reuses the training "
                   "step's buffers instead of touching new memory each run)",
                   0, 1 << 20)
          .add_string("lr_schedule", "none",
                      "learning-rate schedule: none, step (x lr_gamma every lr_step_epochs), cosine "
                      "(to lr_min over the run), plateau (x lr_gamma when validation accuracy has "
                      "not improved for lr_patience epochs)",
                      {"none", "step", "cosine", "plateau"})
          .add_int("lr_step_epochs", 5, "epochs between steps of the step schedule", 1)
          .add_float("lr_gamma", 0.5, "factor of the step and plateau schedules", 0, 1, true)
          .add_float("lr_min", 0.0, "final learning rate of the cosine schedule", 0)
          .add_int("lr_patience", 2, "epochs without validation gain before plateau decays", 1)
          .add_int("early_stopping", 0, "stop after this many epochs without validation gain (0 = never)", 0)
          .add_float("target", 0,
                     "stop once an epoch's validation accuracy reaches this (0 = never); summary.json then says "
                     "the seconds and optimizer steps it took",
                     0, 1)
          .add_int("target_every", 0,
                   "also score the validation split every this many minibatches inside an epoch, and stop "
                   "there once it reaches train.target (0 = only at epoch ends)",
                   0)
          .add_int("checkpoint_every", 0,
                   "also checkpoint every this many minibatches inside an epoch (0 = only at epoch ends)", 0)
          .add_float("plot_seconds", 10,
                     "redraw the run's figures (loss.png, accuracy.png, ...) after an epoch when this many "
                     "seconds passed since the last drawing (or the start); the end of training always draws "
                     "(0 = after every epoch)",
                     0)
          .add_float("checkpoint_minutes", 0,
                     "also checkpoint when this many minutes passed since the last one (0 = only at epoch ends)", 0)
          .add_float("rate_l2", 0, "L2 penalty on firing rates: rate_l2 * mean of r^2 per example, every layer", 0)
          .add_float("recurrent_l1", 0, "L1 penalty on every layer's recurrent W (raw values)", 0)
          .add_float("recurrent_l2", 0, "L2 penalty on every layer's recurrent W (raw values)", 0)
          .add_float("input_l1", 0, "L1 penalty on every layer's input weights P", 0)
          .add_float("input_l2", 0, "L2 penalty on every layer's input weights P", 0)
          .add_float("readout_l1", 0, "L1 penalty on the readout's weights", 0)
          .add_float("readout_l2", 0, "L2 penalty on the readout's weights", 0);
  return s;
}

const OptionSchema& layer_noise_schema() {
  static const OptionSchema s =
      OptionSchema()
          .add_float("noise_std", 0.0, "recurrent noise sigma_rec (Song et al. 2016); 0 = off", 0, 100)
          .add_float("noise_alpha", 1.0, "dt / tau: the drive gets sqrt(2 / alpha) sigma_rec N(0, 1)", 0, 1, true)
          .add_int("noise_seed", 1, "seed of the noise stream", 0)
          .add_bool("noise_in_evaluation", false, "keep the noise on when not training");
  return s;
}

const OptionSchema& readout_schema() {
  static const OptionSchema s =
      OptionSchema()
          .add_string("pooling", "last",
                      "which states the readout reads: the last one, the mean over steps, or all (an output at "
                      "every step, for datasets with per-step targets)",
                      {"last", "mean", "all"})
          .add_string("read_from", "all",
                      "which units the readout reads: all, or excitatory (only the E units of a Dale layer, as "
                      "Song et al. 2016)",
                      {"all", "excitatory"});
  return s;
}

namespace {

toml::table parse_root(const std::string& text, const std::string& path) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw Error(pos(e.source(), path), "malformed TOML: " + std::string(e.description()));
  }
}

std::string read_graph_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error("cannot open graph file " + path + " (check the path; graphs live in graphs/)");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<PlacedOverride> from_command_line(const std::vector<std::string>& overrides) {
  std::vector<PlacedOverride> r;
  for (const auto& kv : overrides) r.push_back({kv, {}, {}});
  return r;
}

}  // namespace

Graph parse_graph_text(const std::string& text, const std::string& path, const std::vector<std::string>& overrides,
                       const Registry& registry) {
  toml::table root = parse_root(text, path);
  return build(root, path, from_command_line(overrides), registry);
}

Graph parse_graph_file(const std::string& path, const std::vector<std::string>& overrides, const Registry& registry) {
  return parse_graph_text(read_graph_file(path), path, overrides, registry);
}

Graph parse_graph_file_with_positions(const std::string& path, const std::vector<PlacedOverride>& overrides,
                                      const Registry& registry) {
  toml::table root = parse_root(read_graph_file(path), path);
  return build(root, path, overrides, registry);
}

int Graph::eval_batch_size() const {
  const int64_t n = train.get_int("eval_batch_size");
  return int(n > 0 ? n : train.get_int("batch_size"));
}

}  // namespace biornn
