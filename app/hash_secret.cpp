#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "app/commands.hpp"
#include "gateway/client_registry.hpp"

namespace payorch::app {
namespace {

/// One line from the terminal with echo off, so the secret is not left on the screen.
std::string read_from_terminal() {
  std::fputs("client secret: ", stderr);
  termios saved{};
  bool quiet = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quiet) {
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  std::string line;
  std::getline(std::cin, line);
  if (quiet) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fputs("\n", stderr);
  return line;
}

/// All of a piped stdin, less one trailing newline (`echo` and editors add one).
std::string read_from_pipe() {
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (text.ends_with("\r\n")) {
    text.resize(text.size() - 2);
  } else if (text.ends_with('\n')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

int hash_secret(std::int64_t iterations) {
  std::string secret = ::isatty(STDIN_FILENO) != 0 ? read_from_terminal() : read_from_pipe();
  if (secret.empty()) {
    std::fprintf(stderr, "hash-secret: the secret is empty\n");
    return 2;
  }
  auto line = gateway::hash_secret(secret, iterations);
  if (!line) {
    std::fprintf(stderr, "hash-secret: cannot hash the secret (no randomness?)\n");
    return 1;
  }
  std::printf("%s\n", line->c_str());
  return 0;
}

}  // namespace payorch::app
