#include "python/src/session.h"

#include "core/engine/builtins.h"
#include "python/src/python_task.h"

namespace biornn::python {

Session::Session(const std::vector<std::string>& plugin_directories) {
  register_builtins(registry_);
  registry_.set_origin("the biornn Python package");
  register_python_task(registry_);
  registry_.set_origin("core");
  loader_ = std::make_unique<PluginLoader>(registry_);
  for (const std::string& dir : plugin_directories)
    for (const std::string& error : loader_->load_directory(dir)) warnings_.push_back(error);
}

}  // namespace biornn::python
