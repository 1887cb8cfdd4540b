#include "detect/model.hpp"

#include <stdexcept>

namespace voidscan::detect {

const char* to_string(SampleKind k) {
  switch (k) {
    case SampleKind::automatic: return "auto";
    case SampleKind::hybrid_bond: return "hybrid-bond";
    case SampleKind::flip_chip: return "flip-chip";
    case SampleKind::stack: return "stack";
    case SampleKind::generic: return "generic";
  }
  return "?";
}

SampleKind parse_sample_kind(const std::string& s) {
  for (SampleKind k : {SampleKind::automatic, SampleKind::hybrid_bond, SampleKind::flip_chip, SampleKind::stack,
                       SampleKind::generic})
    if (s == to_string(k)) return k;
  throw std::invalid_argument("unknown sample kind '" + s + "' (auto, hybrid-bond, flip-chip, stack, generic)");
}

const char* to_string(DefectType t) {
  switch (t) {
    case DefectType::underfill_void: return "underfill_void";
    case DefectType::bump_void: return "bump_void";
    case DefectType::bond_gap: return "bond_gap";
    case DefectType::void_: return "void";
  }
  return "?";
}

}  // namespace voidscan::detect
