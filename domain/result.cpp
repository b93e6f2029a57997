#include "domain/result.hpp"

#include <cstdio>
#include <cstdlib>

namespace payorch {

failure fail(errc code, std::string detail, std::string param) {
  return failure{code, std::move(detail), std::move(param)};
}

namespace detail {

void bad_result_access(const failure* f) noexcept {
  if (f != nullptr) {
    const auto name = to_string(f->code);
    std::fprintf(stderr, "payorch: value() of a failed result: %.*s: %s\n",
                 static_cast<int>(name.size()), name.data(), f->detail.c_str());
  } else {
    std::fprintf(stderr, "payorch: error() of a successful result\n");
  }
  std::abort();
}

}  // namespace detail
}  // namespace payorch
