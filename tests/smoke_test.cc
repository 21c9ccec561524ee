#include <gtest/gtest.h>
#include <cstdlib>
#include "core/registry.h"
#include "core/data_paths.h"
TEST(Smoke, Workspace) {
  const char* w = std::getenv("BIORNN_WORKSPACE");
  ASSERT_NE(w, nullptr);
  printf("ws=%s paths[2]=%s\n", w, biornn::data_search_paths("mnist")[2].c_str());
}
