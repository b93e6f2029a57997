#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "app/commands.hpp"
#include "gateway/client_registry.hpp"

namespace payorch::app {
namespace {

/// The terminal's settings before echo was turned off, for a signal that ends the process.
termios terminal_before{};

/// Gives the terminal its echo back, then dies of the signal as it would have (tcsetattr,
/// signal and raise are async-signal-safe).
extern "C" void restore_terminal_and_die(int signo) {
  ::tcsetattr(STDIN_FILENO, TCSANOW, &terminal_before);
  std::signal(signo, SIG_DFL);
  std::raise(signo);
}

/// One line from the terminal with echo off, so the secret is not left on the screen; Ctrl-C
/// (or a SIGTERM or SIGHUP) at the prompt leaves the terminal echoing again.
std::string read_from_terminal() {
  std::fputs("client secret: ", stderr);
  bool quiet = ::tcgetattr(STDIN_FILENO, &terminal_before) == 0;
  if (quiet) {
    for (int signo : {SIGINT, SIGTERM, SIGHUP}) std::signal(signo, restore_terminal_and_die);
    termios silent = terminal_before;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  std::string line;
  std::getline(std::cin, line);
  if (quiet) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &terminal_before);
    for (int signo : {SIGINT, SIGTERM, SIGHUP}) std::signal(signo, SIG_DFL);
  }
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
