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
  pkg_check_modules(LIBDEFLATE QUIET IMPORTED_TARGET libdeflate)
  pkg_check_modules(TURBOJPEG QUIET IMPORTED_TARGET libturbojpeg)
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

# libdeflate (Debian's libdeflate-dev), where there is one, deflates the
# PNGs: twice as fast as zlib's fastest level and 4 % smaller files on a
# run's pictures (bench/png_deflate.c, docs/BENCHMARKS.md); zlib otherwise.
option(ATTRIB_PNG_ZLIB "deflate PNGs with zlib even where libdeflate is found" OFF)
add_library(attrib::deflate INTERFACE IMPORTED)
if(ATTRIB_PNG_ZLIB)
  message(STATUS "PNG deflate: zlib (ATTRIB_PNG_ZLIB)")
elseif(TARGET PkgConfig::LIBDEFLATE)
  target_link_libraries(attrib::deflate INTERFACE PkgConfig::LIBDEFLATE)
  target_compile_definitions(attrib::deflate INTERFACE ATTRIB_HAVE_LIBDEFLATE=1)
  message(STATUS "PNG deflate: libdeflate")
else()
  find_path(attrib_libdeflate_INCLUDE libdeflate.h)
  find_library(attrib_libdeflate_LIBRARY deflate)
  if(attrib_libdeflate_INCLUDE AND attrib_libdeflate_LIBRARY)
    target_include_directories(attrib::deflate INTERFACE ${attrib_libdeflate_INCLUDE})
    target_link_libraries(attrib::deflate INTERFACE ${attrib_libdeflate_LIBRARY})
    target_compile_definitions(attrib::deflate INTERFACE ATTRIB_HAVE_LIBDEFLATE=1)
    message(STATUS "PNG deflate: libdeflate")
  else()
    message(STATUS "PNG deflate: zlib (install libdeflate-dev for PNGs twice as fast)")
  endif()
endif()

# libjpeg-turbo's TurboJPEG API (Debian's libturbojpeg0-dev), where there is
# one, decodes JPEGs: 1.7-2.3x faster than stb_image on the shared photos
# (bench/jpeg_decode.c); stb_image reads the other formats, and the JPEGs
# it refuses or a build without it.
option(ATTRIB_JPEG_STB "decode JPEGs with stb_image even where libturbojpeg is found" OFF)
add_library(attrib::jpeg INTERFACE IMPORTED)
if(NOT ATTRIB_JPEG_STB AND TARGET PkgConfig::TURBOJPEG)
  target_link_libraries(attrib::jpeg INTERFACE PkgConfig::TURBOJPEG)
  target_compile_definitions(attrib::jpeg INTERFACE ATTRIB_HAVE_TURBOJPEG=1)
  message(STATUS "JPEG decoding: libjpeg-turbo")
else()
  message(STATUS "JPEG decoding: stb_image")
endif()
