// ParameterSet: a plugin sees its own names only; another plugin's parameter is reached by role
// or by its qualified name, never by a silent fallback on a shared name.
#include <gtest/gtest.h>

#include "core/sdk/error.h"
#include "core/sdk/parameter_set.h"

namespace biornn {
namespace {

TEST(ParameterSet, APluginDoesNotSeeAnotherPluginsParameterOfTheSameName) {
  ParameterSet set;
  {
    ParameterSet::Scope cell(set, "cell");
    set.add("W", 2, 2, ParameterRole::kRecurrent);
    set.add("b", 1, 2, ParameterRole::kBias);
  }
  ParameterSet::Scope gate(set, "gate");
  set.add("W", 2, 2);
  EXPECT_EQ(set.get("W").name, "gate.W");  // its own
  EXPECT_EQ(set.find("b"), nullptr);       // the cell's b is not the gate's
  EXPECT_THROW(set.get("b", "gate"), Error);
  EXPECT_EQ(set.find("cell.b")->name, "b");  // reached by its qualified name
  EXPECT_EQ(set.find_role(ParameterRole::kRecurrent)->name, "W");
}

TEST(ParameterSet, OutsideAScopeNamesAreTheStoredOnes) {
  ParameterSet set;
  {
    ParameterSet::Scope cell(set, "cell");
    set.add("W", 2, 2);
  }
  {
    ParameterSet::Scope gate(set, "gate");
    set.add("W", 3, 3);
  }
  EXPECT_EQ(set.get("W").value.rows(), 2);
  EXPECT_EQ(set.get("gate.W").value.rows(), 3);
  EXPECT_EQ(set.get("cell.W").value.rows(), 2);
  EXPECT_EQ(set.find("V"), nullptr);
}

}  // namespace
}  // namespace biornn
