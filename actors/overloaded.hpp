#pragma once
/// `overloaded{lambdas...}`: one visitor for std::visit out of several lambdas.

namespace payorch::actors {

template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

}  // namespace payorch::actors
