# The C libraries of the front end, as imported targets attrib::stb,
# attrib::cjson and attrib::zlib: from pkg-config where it knows them
# (Debian's libstb-dev, libcjson-dev, zlib1g-dev), else found by file name
# under CMAKE_PREFIX_PATH (a machine without pkg-config, such as the GPU
# image scripts/gpu-check.sh builds on).
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(STB QUIET IMPORTED_TARGET stb)
  pkg_check_modules(CJSON QUIET IMPORTED_TARGET libcjson)
  pkg_check_modules(ZLIB QUIET IMPORTED_TARGET zlib)
endif()

function(attrib_dep target pc_target header suffix library)
  add_library(${target} INTERFACE IMPORTED)
  if(TARGET ${pc_target})
    target_link_libraries(${target} INTERFACE ${pc_target})
    return()
  endif()
  string(MAKE_C_IDENTIFIER ${target} var)
  find_path(${var}_INCLUDE ${header} PATH_SUFFIXES ${suffix})
  if(NOT ${var}_INCLUDE)
    message(FATAL_ERROR "${header} not found: install ${ARGN} (scripts/install-deps.sh)")
  endif()
  target_include_directories(${target} INTERFACE ${${var}_INCLUDE})
  if(library)
    find_library(${var}_LIBRARY ${library})
    if(NOT ${var}_LIBRARY)
      message(FATAL_ERROR "lib${library} not found: install ${ARGN} (scripts/install-deps.sh)")
    endif()
    target_link_libraries(${target} INTERFACE ${${var}_LIBRARY})
  endif()
endfunction()

attrib_dep(attrib::stb PkgConfig::STB stb_image.h stb stb libstb-dev)
attrib_dep(attrib::cjson PkgConfig::CJSON cJSON.h cjson cjson libcjson-dev)
attrib_dep(attrib::zlib PkgConfig::ZLIB zlib.h "" z zlib1g-dev)
