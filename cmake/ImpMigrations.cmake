# imp_embed_migrations(TARGET <lib> NAMESPACE <c++ ns> DIR <dir of NNNN_name.sql files>)
#
# Compiles a service's numbered migration files into its binary, so a deployed binary always
# carries exactly the schema it was built for. Generates a .cc defining
#   const std::vector<imp::db::Migration>& <ns>::Migrations();
# in file-name order. Re-runs when a migration file is added or edited.
function(imp_embed_migrations)
  cmake_parse_arguments(ARG "" "TARGET;NAMESPACE;DIR" "" ${ARGN})
  file(GLOB sql_files CONFIGURE_DEPENDS "${ARG_DIR}/*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_migrations.cc")
  # A ';' list would be split into separate shell words: pass it '|'-joined.
  string(REPLACE ";" "|" files_arg "${sql_files}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE}
            "-DFILES=${files_arg}" -P "${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake"
    DEPENDS ${sql_files} "${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake"
    COMMENT "Embedding migrations for ${ARG_TARGET}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${out}")
endfunction()
