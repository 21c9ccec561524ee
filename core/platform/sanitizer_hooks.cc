// LeakSanitizer's suppressions for every biornn binary under `--config=asan` (runners, tests,
// and the children they start). fontconfig, reached through cairo when a plot is drawn, keeps
// its font cache allocated for the life of the process and never frees it. The sanitizer
// runtime calls this hook when present; in a normal build nothing calls it.
extern "C" __attribute__((visibility("default"))) const char* __lsan_default_suppressions() {
  return "leak:libfontconfig.so\n";
}
