# Third-party packages, all from Debian 12 (docker/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(Boost 1.81 EXACT REQUIRED COMPONENTS json url)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)

# CAF 0.17.6 ships no CMake package: import its two libraries by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
add_library(caf::core UNKNOWN IMPORTED)
set_target_properties(caf::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES Threads::Threads)

# libpqxx 6.4 (Debian's libpqxx-dev) over libpq: pkg-config only hints where to look, so a
# machine without the .pc file still finds the libraries. Not linked into any library yet.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_PQXX QUIET libpqxx)
endif()
find_path(PQXX_INCLUDE_DIR pqxx/pqxx HINTS ${PC_PQXX_INCLUDE_DIRS} REQUIRED)
find_path(PQ_INCLUDE_DIR libpq-fe.h HINTS ${PC_PQXX_INCLUDE_DIRS} PATH_SUFFIXES postgresql
  REQUIRED)
find_library(PQXX_LIBRARY pqxx HINTS ${PC_PQXX_LIBRARY_DIRS} REQUIRED)
find_library(PQ_LIBRARY pq HINTS ${PC_PQXX_LIBRARY_DIRS} REQUIRED)
add_library(payorch::pqxx UNKNOWN IMPORTED)
set_target_properties(payorch::pqxx PROPERTIES IMPORTED_LOCATION "${PQXX_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${PQXX_INCLUDE_DIR};${PQ_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${PQ_LIBRARY}")

# jemalloc (Debian's libjemalloc-dev) as the executables' malloc: linked, it replaces glibc's.
add_library(payorch_malloc INTERFACE)
if(PAYORCH_JEMALLOC)
  find_library(JEMALLOC_LIBRARY jemalloc REQUIRED)
  target_link_libraries(payorch_malloc INTERFACE "${JEMALLOC_LIBRARY}")
  target_compile_definitions(payorch_malloc INTERFACE PAYORCH_WITH_JEMALLOC)
endif()

# Boost.Asio / Beast settings shared by every target that includes them.
add_library(payorch_asio INTERFACE)
target_link_libraries(payorch_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(payorch_asio INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_CONCEPTS)

if(PAYORCH_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
