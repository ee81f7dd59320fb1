# Man pages (from the command's --help), bash completion, and the Debian
# package: `cpack -G DEB` in the build directory makes strata_VERSION_ARCH.deb
# holding the library (shared and static), the header, pkg-config and CMake
# files, the command, its man pages and its completion
# (tests/deb_test.sh installs it in a scratch root and runs the quick start).

# The pages are remade whenever the command is; a sanitizer build's leak
# report at exit must not fail the build.
set(STRATA_MAN_DIR ${PROJECT_BINARY_DIR}/man)
add_custom_command(OUTPUT ${STRATA_MAN_DIR}/strata.1.gz
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
          bash ${PROJECT_SOURCE_DIR}/cmake/gen_man.sh $<TARGET_FILE:strata> ${STRATA_MAN_DIR} ${PROJECT_VERSION}
  DEPENDS strata ${PROJECT_SOURCE_DIR}/cmake/gen_man.sh
  COMMENT "Man pages from strata --help")
add_custom_target(strata_man ALL DEPENDS ${STRATA_MAN_DIR}/strata.1.gz)
install(DIRECTORY ${STRATA_MAN_DIR}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1.gz")
install(FILES ${PROJECT_SOURCE_DIR}/cmake/strata.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME strata)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME strata)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Strata")
set(CPACK_PACKAGE_CONTACT "Strata maintainers <strata@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "customer segmentation (k-means) over columnar HDF5")
set(CPACK_PACKAGE_DESCRIPTION "Strata segments customers from columnar HDF5 files in nightly batch jobs:\n\
the strata command (import, fit, assign, profile, report, ...), libstrata with\n\
its C header, pkg-config and CMake files, man pages and bash completion.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Run-time dependencies from the linked libraries (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
include(CPack)
