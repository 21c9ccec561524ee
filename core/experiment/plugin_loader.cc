#include "core/experiment/plugin_loader.h"

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <filesystem>

#include "core/sdk/data_paths.h"
#include "core/sdk/plugin_api.h"

namespace biornn {

namespace fs = std::filesystem;

const BiornnAbiFingerprint& core_abi_fingerprint() {
  static const BiornnAbiFingerprint abi{BIORNN_ABI_SIZES, BIORNN_INTERFACE_HASH};
  return abi;
}

std::string describe(const BiornnAbiFingerprint& abi) {
  std::string s = "sizes ";
  for (size_t i = 0; i < std::size(abi.sizes); ++i) s += (i ? "/" : "") + std::to_string(abi.sizes[i]);
  return s + " headers " + std::string(abi.interface_hash, strnlen(abi.interface_hash, sizeof abi.interface_hash));
}

struct PluginLoader::Impl {
  std::vector<boost::dll::shared_library> libraries;
};

PluginLoader::PluginLoader(Registry& registry) : registry_(registry), impl_(new Impl) {}
PluginLoader::~PluginLoader() {
  // The factories live in the libraries: take them out of the registry before unloading.
  for (const auto& p : loaded_) registry_.remove_origin(p.path);
}

void PluginLoader::load(const std::string& path) {
  if (!fs::exists(path)) throw Error("cannot load plugin " + path + ": no such file");
  boost::dll::shared_library lib;
  try {
    lib.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw Error("cannot load plugin " + path + ": " + e.what() + " (is it a shared library built for this machine?)");
  }
  if (!lib.has(BIORNN_PLUGIN_ENTRY_SYMBOL))
    throw Error("plugin " + path +
                " has no entry point '" BIORNN_PLUGIN_ENTRY_SYMBOL
                "' (declare one with BIORNN_PLUGIN(...) from core/sdk/plugin_api.h)");
  auto entry = lib.get<const BiornnPluginInfo*()>(BIORNN_PLUGIN_ENTRY_SYMBOL);
  const BiornnPluginInfo* info = entry();
  if (!info) throw Error("plugin " + path + " returned an empty plugin description");
  // The version first: the rest of the struct is only known to be laid out as here once it matches.
  if (info->api_version != BIORNN_PLUGIN_API_VERSION)
    throw Error("plugin " + path + " was built for plugin API version " + std::to_string(info->api_version) +
                ", this framework supports version " + std::to_string(BIORNN_PLUGIN_API_VERSION) +
                ": rebuild it against this core/");
  const BiornnAbiFingerprint& mine = core_abi_fingerprint();
  if (!info->abi || std::memcmp(info->abi->sizes, mine.sizes, sizeof mine.sizes) != 0 ||
      std::strncmp(info->abi->interface_hash, mine.interface_hash, sizeof mine.interface_hash) != 0)
    throw Error("plugin " + path + " was built against other interface headers (plugin: " +
                (info->abi ? describe(*info->abi) : std::string("no fingerprint")) + "; this core: " + describe(mine) +
                "): rebuild it against this core/");
  if (!info->register_plugins)
    throw Error("plugin " + path + " returned an empty plugin description (no register function)");
  registry_.set_origin(path);
  try {
    info->register_plugins(&registry_);
  } catch (const std::exception& e) {
    registry_.remove_origin(path);
    registry_.set_origin("core");
    throw Error("plugin " + path + " failed while registering: " + e.what());
  }
  registry_.set_origin("core");
  loaded_.push_back({path, info->name ? info->name : "?", info->version ? info->version : "?"});
  impl_->libraries.push_back(std::move(lib));
}

std::vector<std::string> PluginLoader::load_directory(const std::string& dir) {
  std::vector<std::string> errors;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    errors.push_back("plugin directory " + dir + " does not exist");
    return errors;
  }
  std::vector<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.size() > 10 && name.compare(name.size() - 10, 10, "_plugin.so") == 0) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    try {
      load(f);
    } catch (const Error& e) { errors.push_back(e.what()); }
  }
  return errors;
}

std::vector<std::string> default_plugin_directories(const std::string& argv0) {
  const Paths& paths = process_paths();
  std::vector<std::string> dirs;
  const std::string built = find_runfile(
      "plugins", argv0.empty() ? std::vector<std::string>{} : std::vector<std::string>{argv0 + ".runfiles"});
  std::error_code ec;
  if (!built.empty() && fs::is_directory(built, ec)) dirs.push_back(built);
  dirs.insert(dirs.end(), paths.plugin_path.begin(), paths.plugin_path.end());
  return dirs;
}

}  // namespace biornn
