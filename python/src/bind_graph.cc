// Session (registry + plugins), graphs parsed and validated as the CLI does, and every
// plugin's options as data.
#include <pybind11/stl.h>

#include <cmath>
#include <variant>

#include "core/experiment/graph.h"
#include "python/src/bind.h"
#include "python/src/handles.h"

namespace biornn::python {
namespace {

namespace py = pybind11;

py::object option_value(const OptionValue& v) {
  return std::visit([](const auto& x) -> py::object { return py::cast(x); }, v);
}

py::dict options_dict(const Options& o) {
  py::dict d;
  for (const auto& [name, value] : o.values()) d[py::str(name)] = option_value(value);
  return d;
}

// A bound of an option's range, or None where the schema leaves it open.
py::object bound(double v) { return std::fabs(v) >= 1e18 ? py::object(py::none()) : py::object(py::float_(v)); }

py::list schema_list(const OptionSchema& schema) {
  py::list out;
  for (const OptionSpec& s : schema.specs()) {
    py::dict d;
    d["name"] = s.name;
    d["type"] = option_type_name(s.type);
    d["default"] = option_value(s.default_value);
    d["doc"] = s.doc;
    const bool numeric = s.type == OptionType::kInt || s.type == OptionType::kFloat;
    d["min"] = numeric ? bound(s.min) : py::none();
    d["max"] = numeric ? bound(s.max) : py::none();
    d["min_exclusive"] = s.min_exclusive;
    d["choices"] = s.choices;
    out.append(d);
  }
  return out;
}

py::list plugin_catalogue(const Session& s) {
  py::list out;
  for (const PluginInfo* info : s.registry().list()) {
    py::dict d;
    d["kind"] = info->kind;
    d["name"] = info->name;
    d["doc"] = info->doc;
    d["origin"] = info->origin;
    d["options"] = schema_list(info->schema);
    out.append(d);
  }
  return out;
}

py::dict plugin_dict(const PluginRef& p) {
  py::dict d;
  d["plugin"] = p.name;
  d["options"] = options_dict(p.options);
  return d;
}

py::list layers_list(const Graph& g) {
  py::list out;
  for (const LayerSpec& l : g.layers) {
    py::dict d;
    d["node"] = l.node;
    d["hidden"] = l.hidden;
    d["cell"] = plugin_dict(l.cell);
    d["gate"] = l.gate.name.empty() ? py::object(py::none()) : py::object(plugin_dict(l.gate));
    d["scaling"] = l.scaling ? py::object(plugin_dict(*l.scaling)) : py::object(py::none());
    py::list constraints;
    for (const auto& [parameter, c] : l.constraints) {
      py::dict cd = plugin_dict(c);
      cd["parameter"] = parameter;
      constraints.append(cd);
    }
    d["constraints"] = constraints;
    out.append(d);
  }
  return out;
}

GraphHandle parse_text(const std::shared_ptr<Session>& s, const std::string& text, const std::string& path,
                       const std::vector<std::string>& overrides) {
  return GraphHandle{s, parse_graph_text(text, path, overrides, s->registry())};
}

GraphHandle parse_file(const std::shared_ptr<Session>& s, const std::string& path,
                       const std::vector<std::string>& overrides) {
  return GraphHandle{s, parse_graph_file(path, overrides, s->registry())};
}

}  // namespace

void bind_graph(py::module_& m) {
  py::class_<Session, std::shared_ptr<Session>>(m, "Session")
      .def(py::init<const std::vector<std::string>&>(), py::arg("plugin_directories"))
      .def_property_readonly("warnings", &Session::warnings)
      .def("plugins", &plugin_catalogue)
      .def("loaded",
           [](const Session& s) {
             std::vector<std::string> paths;
             for (const auto& p : s.loader().loaded()) paths.push_back(p.path);
             return paths;
           })
      .def("parse_text", &parse_text, py::arg("text"), py::arg("path"), py::arg("overrides"))
      .def("parse_file", &parse_file, py::arg("path"), py::arg("overrides"));
  m.def("train_schema", [] { return schema_list(train_schema()); });
  m.def("readout_schema", [] { return schema_list(readout_schema()); });

  py::class_<GraphHandle>(m, "Graph")
      .def_property_readonly("session", [](const GraphHandle& g) { return g.session; })
      .def_property_readonly("name", [](const GraphHandle& g) { return g.graph.name; })
      .def_property_readonly("path", [](const GraphHandle& g) { return g.graph.path; })
      .def_property_readonly("description", [](const GraphHandle& g) { return g.graph.description; })
      .def_property_readonly("toml", [](const GraphHandle& g) { return g.graph.resolved_toml; })
      .def_property_readonly("train", [](const GraphHandle& g) { return options_dict(g.graph.train); })
      .def_property_readonly("optimizer", [](const GraphHandle& g) { return plugin_dict(g.graph.optimizer); })
      .def_property_readonly("dataset",
                             [](const GraphHandle& g) {
                               py::dict d = plugin_dict(g.graph.dataset);
                               d["node"] = g.graph.dataset_node;
                               return d;
                             })
      .def_property_readonly("layers", [](const GraphHandle& g) { return layers_list(g.graph); })
      .def_property_readonly("readout", [](const GraphHandle& g) {
        py::dict d;
        d["node"] = g.graph.readout_node;
        d["options"] = options_dict(g.graph.readout);
        return d;
      });
}

}  // namespace biornn::python
