// Test plugin: a shared library without the biornn entry point.
extern "C" __attribute__((visibility("default"))) int some_other_function() { return 42; }
