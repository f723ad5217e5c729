# The layering of idp/ (docs/architecture.md), checked by ctest (tests/CMakeLists.txt) with
# `cmake -P`:
#
# MODULE=m: compiles, with module m's real include flags (the target's INCLUDE_DIRECTORIES),
# one small file per other module of idp/ that includes a header of that module. It must
# fail with "No such file or directory" for every module m does not use, above all for the
# modules above m: that failure is what keeps an upward include out of the build. The
# headers of the modules m uses (VISIBLE) must be found.
#
# MODULE unset: every quoted include in idp/ names its header from the root ("idp/..."). A
# relative one ("../app/config.h") is looked up next to the including file, that is in the
# source tree (a header's symlinked directory leads there too), and would get around the
# include roots.
#
# Arguments (-D): SOURCE_DIR; for MODULE also CXX, STD_FLAG, WORK_DIR and the lists (joined
# with "|") INCLUDES, IMPLICIT (the compiler's own include directories), MODULES, VISIBLE.

cmake_minimum_required(VERSION 3.25)  # IN_LIST, foreach IN LISTS

if(NOT DEFINED MODULE)
  file(GLOB_RECURSE files "${SOURCE_DIR}/idp/*.h" "${SOURCE_DIR}/idp/*.cpp")
  set(bad "")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES "#[ \t]*include[ \t]*\"idp/")
        file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
        string(APPEND bad "  ${rel}: ${line}\n")
      endif()
    endforeach()
  endforeach()
  if(bad)
    message(FATAL_ERROR "includes not written from the root (\"idp/<module>/...\"):\n${bad}")
  endif()
  message(STATUS "every quoted include in idp/ starts with idp/")
  return()
endif()

foreach(list INCLUDES IMPLICIT MODULES VISIBLE)
  string(REPLACE "|" ";" ${list} "${${list}}")
endforeach()
set(flags ${STD_FLAG} -fsyntax-only)
foreach(dir IN LISTS INCLUDES)
  if(NOT dir IN_LIST IMPLICIT)  # as CMake leaves /usr/include out of compile lines
    list(APPEND flags "-I${dir}")
  endif()
endforeach()

file(MAKE_DIRECTORY "${WORK_DIR}")
set(failures "")
foreach(other IN LISTS MODULES)
  if(other STREQUAL MODULE)
    continue()
  endif()
  file(GLOB headers RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/idp/${other}/*.h")
  list(SORT headers)
  list(GET headers 0 header)
  set(probe "${WORK_DIR}/${MODULE}_includes_${other}.cpp")
  if(other IN_LIST VISIBLE)
    # Only whether the header is found: compiling it would need the flags of the external
    # libraries it includes, and the build compiles it anyway.
    file(WRITE "${probe}" "#if !__has_include(\"${header}\")\n#error not found\n#endif\n")
  else()
    file(WRITE "${probe}" "// As if in idp/${MODULE}/.\n#include \"${header}\"\n")
  endif()
  execute_process(COMMAND "${CXX}" ${flags} "${probe}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(other IN_LIST VISIBLE)
    if(NOT rc EQUAL 0)
      string(APPEND failures "idp/${MODULE} uses ${other} but does not find ${header}:\n${out}\n")
    endif()
  elseif(rc EQUAL 0)
    string(APPEND failures "idp/${MODULE} may not use ${other}, yet including ${header} compiled\n")
  elseif(NOT out MATCHES "${header}: No such file or directory|'${header}' file not found")
    string(APPEND failures "including ${header} from idp/${MODULE} failed, but not for want of the header:\n${out}\n")
  else()
    list(APPEND refused ${other})
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "${failures}")
endif()
list(JOIN refused " " refused)
message(STATUS "idp/${MODULE} cannot include: ${refused}")
