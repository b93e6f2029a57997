# Helpers that declare the project's targets with one set of warnings.

function(payorch_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wnon-virtual-dtor -Wno-sign-conversion)
endfunction()

# payorch_library(NAME DEPENDS ... [PCH header ...] [SUBDIRS dir ...])
# The library of one folder: every .cpp in the folder (and the named subfolders) except
# main.cpp. DEPENDS is exactly what DESIGN.md section 3 allows that folder to use, so an
# include across a forbidden arrow fails to link.
function(payorch_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;PCH;SUBDIRS" ${ARGN})
  set(patterns ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  foreach(dir IN LISTS ARG_SUBDIRS)
    list(APPEND patterns ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cpp)
  endforeach()
  file(GLOB sources CONFIGURE_DEPENDS ${patterns})
  list(FILTER sources EXCLUDE REGEX "/main\\.cpp$")
  if(sources)
    add_library(payorch_${name} STATIC ${sources})
    target_include_directories(payorch_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(payorch_${name} PUBLIC ${ARG_DEPENDS})
    payorch_warnings(payorch_${name})
    if(ARG_PCH)
      target_precompile_headers(payorch_${name} PRIVATE ${ARG_PCH})
    endif()
  else()
    # A folder with headers only (or not yet any code) is still a target with its arrows.
    add_library(payorch_${name} INTERFACE)
    target_include_directories(payorch_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    list(FIND ARG_DEPENDS PRIVATE private_at)
    if(NOT private_at EQUAL -1)
      list(SUBLIST ARG_DEPENDS 0 ${private_at} ARG_DEPENDS)
    endif()
    target_link_libraries(payorch_${name} INTERFACE ${ARG_DEPENDS})
  endif()
endfunction()
