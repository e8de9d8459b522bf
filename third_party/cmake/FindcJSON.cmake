# Finds Debian's libcjson-dev and provides the imported target `cjson`.
find_path(CJSON_INCLUDE_DIR cjson/cJSON.h)
find_library(CJSON_LIBRARY cjson)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(cJSON REQUIRED_VARS CJSON_LIBRARY CJSON_INCLUDE_DIR)
if(cJSON_FOUND AND NOT TARGET cjson)
  add_library(cjson UNKNOWN IMPORTED)
  set_target_properties(cjson PROPERTIES IMPORTED_LOCATION "${CJSON_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CJSON_INCLUDE_DIR}")
endif()
